import { IsOptional, ValidateNested } from 'class-validator';
import { GraphQLResolveInfo } from 'graphql';
import { Args, ArgsType, Ctx, Field, FieldResolver, Info, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs } from '../common/pagination';
import { Provenance, provenanceOf } from '../provenance/provenance.type';
import { GatewayContext } from '../server/context';
import { Procedure } from './procedure.entity';
import { asSourced, ProcedureNode } from './procedure-row.mapper';
import { ProcedureFilter } from './procedure.inputs';
import { ProcedureReadService, ProcedureService } from './procedure.service';
import { Sector } from './sector.entity';

@ObjectType()
export class ProcedureConnection extends Connection(Procedure) {}

@ArgsType()
class ProceduresArgs extends PageArgs {
  @Field(() => ProcedureFilter, { nullable: true })
  @IsOptional() @ValidateNested()
  filter?: ProcedureFilter;
}

@Resolver(() => Procedure)
export class ProcedureResolver {
  @Query(() => ProcedureConnection, { description: 'The procedure catalogue, ordered by code.' })
  procedures(@Args() { filter, ...page }: ProceduresArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    return new ProcedureReadService(ctx.sql, ctx.loaders).list(filter ?? {}, page, info);
  }

  @Query(() => [Sector], { description: 'All sectors, ordered by code.' })
  sectors(@Ctx() ctx: GatewayContext) {
    return new ProcedureService(ctx.em).sectors();
  }

  @FieldResolver(() => Sector)
  sector(@Root() procedure: ProcedureNode, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.sectorById.load(procedure.sector.id);
  }

  @FieldResolver(() => Provenance)
  provenance(@Root() procedure: ProcedureNode, @Ctx() ctx: GatewayContext) {
    return provenanceOf(asSourced(procedure), ctx);
  }
}
