import { Args, Ctx, Resolver, Root, Subscription } from 'type-graphql';
import { GatewayContext } from '../server/context';
import { LiveService } from './live.service';
import { FiguresChange, FiguresChangedArgs, SourceStatusChange, SourceStatusChangedArgs } from './live.types';

@Resolver()
export class LiveResolver {
  @Subscription(() => FiguresChange, {
    description: 'Fires when a sync or ingest commit changes figures in scope (units, months, fact kinds): refetch the views showing them. '
      + 'Over WebSocket (graphql-ws), on this same path. At most one event per commit; commits in a burst are coalesced (LIVE_COALESCE_MS).',
    subscribe: ({ args, context }) => new LiveService(context as GatewayContext).figures(args as object),
  })
  figuresChanged(@Root() event: FiguresChange, @Args() _args: FiguresChangedArgs): FiguresChange {
    return event;
  }

  @Subscription(() => SourceStatusChange, {
    description: 'Fires when a source\'s status or freshness changes (a sync starts, succeeds or fails; a push lands). Over WebSocket (graphql-ws), on this same path.',
    subscribe: ({ args, context }) => new LiveService(context as GatewayContext).sources(args as object),
  })
  sourceStatusChanged(@Root() event: SourceStatusChange, @Args() _args: SourceStatusChangedArgs, @Ctx() ctx: GatewayContext): SourceStatusChange {
    new LiveService(ctx).renewForEvent();
    return event;
  }
}
