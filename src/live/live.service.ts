import { unavailableLive } from './live-errors';
import { GatewayContext } from '../server/context';
import { createLoaders } from '../server/loaders';
import { resolveFiguresInterest, checkSourceArgs } from './figures-interest';
import { figuresSeen, sourcesSeen } from './live-change';
import { LiveDelivery } from './live-updates.service';
import { FiguresChange, SourceStatusChange } from './live.types';

/**
 * The two subscriptions' logic: arguments checked and resolved once, when subscribing; each
 * delivery then narrowed to what the subscriber asked about (src/live/live-change.ts).
 */
export class LiveService {
  constructor(private readonly ctx: GatewayContext) {}

  private get live() {
    const live = this.ctx.services.live;
    const owner = this.ctx.liveConnection;
    if (!live || !owner) throw unavailableLive();
    return { live, owner };
  }

  async figures(raw: object): Promise<AsyncIterable<FiguresChange>> {
    const { live, owner } = this.live;
    const interest = await resolveFiguresInterest(this.ctx.sql, raw);
    return live.subscribe(owner, 'figures', (c) => figuresSeen(c, interest).length > 0, (d: LiveDelivery): FiguresChange => ({
      dataVersion: d.change.version,
      commits: d.change.commits,
      missed: d.change.missed,
      changes: figuresSeen(d.change, interest).map((k) => ({
        kind: k.kind,
        units: k.l1s ? k.l1s.flatMap((id) => d.units.get(id) ?? []) : null,
        months: k.months,
        firstMonth: k.range?.[0] ?? null,
        lastMonth: k.range?.[1] ?? null,
      })),
    }));
  }

  async sources(raw: object): Promise<AsyncIterable<SourceStatusChange>> {
    const { live, owner } = this.live;
    const { source } = await checkSourceArgs(raw);
    return live.subscribe(owner, 'sources', (c) => sourcesSeen(c, source)?.length !== 0, (d: LiveDelivery): SourceStatusChange => {
      const codes = sourcesSeen(d.change, source) ?? [...d.sources.keys()];
      return { dataVersion: d.change.version, commits: d.change.commits, missed: d.change.missed, sources: codes.flatMap((c) => d.sources.get(c) ?? []) };
    });
  }

  /**
   * A subscription's context lives as long as it does; each event gets a fresh EntityManager and
   * loaders, so that no event reads what an earlier one cached (a source's runs, say).
   */
  renewForEvent(): void {
    this.ctx.em = this.ctx.em.fork();
    this.ctx.loaders = createLoaders(this.ctx.em, this.ctx.sql);
  }
}
