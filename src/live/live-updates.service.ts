import { GraphQLError } from 'graphql';
import { Source } from '../provenance/source.entity';
import { Database } from '../db/database';
import { describe } from '../db/database-health';
import type { ChannelHandler, NotificationListener } from '../db/notification-listener';
import { Logger } from '../server/logger';
import { everythingChanged, LiveChange, mergeChanges, parseLiveChange } from './live-change';
import { UnitRef, UnitRow, unitRefOf } from '../aggregates/aggregate.types';

/** The channel the database notifies on (migrations/Migration20261215000000_live_updates.ts). */
export const LIVE_CHANNEL = 'dvc_live';

export interface LiveLimits {
  /** Subscriptions in this process, all connections together (LIVE_MAX_SUBSCRIPTIONS). */
  maxSubscriptions: number;
  /** Subscriptions one websocket connection may hold at once (LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION). */
  maxPerConnection: number;
  /** Shortest time between two events of a subscription, in ms (LIVE_COALESCE_MS): commits within it are coalesced. */
  coalesceMs: number;
}

/** A websocket connection's count of live subscriptions (server/live wiring creates one per connection). */
export interface LiveConnection {
  subscriptions: number;
}

/**
 * What one delivery carries: the change (coalesced), and what the process read once for every
 * subscriber (the names of the top-level units, the sources as they now are).
 */
export interface LiveDelivery {
  change: LiveChange;
  units: Map<number, UnitRef>;
  sources: Map<string, Source>;
}

/** What a subscription listens to: figures (unit names are read for it) or sources (their rows are read for it). */
export type LiveTopic = 'figures' | 'sources';

interface Subscriber {
  owner: LiveConnection;
  topic: LiveTopic;
  /** Whether a change concerns this subscriber (matched when delivered, so unrelated commits never wake it). */
  wants(c: LiveChange): boolean;
  /** Deliveries not yet read, merged into one: memory per subscription stays bounded whatever the client's speed. */
  pending?: LiveDelivery;
  wake?: () => void;
  done: boolean;
}

function tooMany(message: string, setting: string, limit: number): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'TOO_MANY_SUBSCRIPTIONS', setting, limit } });
}

function mergeDeliveries(a: LiveDelivery, b: LiveDelivery): LiveDelivery {
  return { change: mergeChanges(a.change, b.change), units: new Map([...a.units, ...b.units]), sources: new Map([...a.sources, ...b.sources]) };
}

/**
 * Live updates for one gateway process (on ServiceRegistry as `live`): the channel dvc_live of the
 * process's LISTEN connection (src/db/notification-listener.ts), subscribed with the first
 * subscription, whose notifications (one per commit that
 * changed figures or a source's status, sent by the database at COMMIT) are fanned out to the
 * subscriptions of this process. Several processes on one database each listen: a commit made
 * through any of them reaches the subscribers of all.
 *
 * Rate: the first notification after a quiet spell is delivered at once; those arriving within
 * `coalesceMs` of a delivery are merged and delivered together at the end of that spell. So a
 * subscription gets at most one event per commit, and at most one per `coalesceMs` during a
 * burst (a sync of many provinces, an import of many batches), with `commits` saying how many it covers.
 *
 * The listener reopens a lost connection once the database health says the database is up, and
 * if the data version moved meanwhile every subscription gets one event with `missed` set
 * (everything in scope counts as changed).
 */
export class LiveUpdates {
  private readonly subscribers = new Set<Subscriber>();
  /** Whether this has subscribed to LIVE_CHANNEL on the listener (with the first subscription). */
  private subscribed = false;
  private closed = false;
  /** The data version last heard of: compared after a reconnection. */
  private version?: string;
  private incoming?: LiveChange;
  private timer?: NodeJS.Timeout;
  private lastDelivery = 0;
  private delivering: Promise<void> = Promise.resolve();
  /** Deliveries made, and notifications received (for tests and the report's figures). */
  readonly stats = { notifications: 0, deliveries: 0, reconnections: 0 };

  constructor(
    private readonly db: Database,
    /** The process's LISTEN connection (src/db/notification-listener.ts), shared with the data version. */
    private readonly listener: NotificationListener,
    private readonly limits: LiveLimits,
    private readonly log: Logger,
  ) {}

  /** Subscriptions open in this process. */
  get size(): number {
    return this.subscribers.size;
  }

  /**
   * A subscription: an async iterator of deliveries that `wants` accepts, each projected by
   * `view`. Refused past the bounds (TOO_MANY_SUBSCRIPTIONS, naming the setting). Resolves once
   * this process listens, so that no commit after it goes unheard.
   */
  async subscribe<T>(owner: LiveConnection, topic: LiveTopic, wants: (c: LiveChange) => boolean, view: (d: LiveDelivery) => T): Promise<AsyncIterableIterator<T>> {
    if (this.closed) throw tooMany('The gateway is shutting down: reconnect.', 'shutdown', 0);
    if (owner.subscriptions >= this.limits.maxPerConnection) {
      throw tooMany(`This connection already holds ${owner.subscriptions} subscriptions, the most allowed (LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION): complete one first.`, 'LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', this.limits.maxPerConnection);
    }
    if (this.subscribers.size >= this.limits.maxSubscriptions) {
      throw tooMany(`The gateway serves ${this.subscribers.size} subscriptions, the most it allows (LIVE_MAX_SUBSCRIPTIONS): try again later.`, 'LIVE_MAX_SUBSCRIPTIONS', this.limits.maxSubscriptions);
    }
    // Counted before the wait below, so that concurrent subscribes cannot overshoot the bounds.
    const sub: Subscriber = { owner, topic, wants, done: false };
    this.subscribers.add(sub);
    owner.subscriptions += 1;
    const end = () => {
      if (sub.done) return;
      sub.done = true;
      this.subscribers.delete(sub);
      owner.subscriptions -= 1;
      sub.wake?.();
    };
    try {
      await this.listen();
    } catch (e) {
      end();
      throw e;
    }
    const iterator: AsyncIterableIterator<T> = {
      next: async () => {
        while (!sub.done && !sub.pending) await new Promise<void>((resolve) => (sub.wake = resolve));
        sub.wake = undefined;
        if (sub.done) return { done: true, value: undefined };
        const d = sub.pending!;
        sub.pending = undefined;
        return { done: false, value: view(d) };
      },
      return: async () => {
        end();
        return { done: true, value: undefined };
      },
      throw: async (e: unknown) => {
        end();
        throw e;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /**
   * Subscribes to the channel on the process's listener once (with the first subscription), and
   * waits until it listens; rejects with SERVICE_UNAVAILABLE while the database is down.
   */
  private async listen(): Promise<void> {
    if (!this.subscribed) {
      this.subscribed = true;
      this.listener.on(LIVE_CHANNEL, this.channel);
    }
    await this.listener.whenListening(LIVE_CHANNEL);
  }

  private readonly channel: ChannelHandler = {
    notified: (payload) => {
      if (payload) this.heard(payload);
    },
    // Read after LISTEN: a commit between the two is heard (and may also count below: at least once, never lost).
    listening: async (conn) => {
      const [{ v: now }] = await conn.query<{ v: string }>('SELECT sum(n)::text AS v FROM data_version');
      if (this.closed) return;
      const again = this.version !== undefined;
      if (again && now !== this.version) this.received(everythingChanged(now));
      this.version = now;
      if (!again) return;
      this.stats.reconnections += 1;
      this.log.info('live updates: listening again');
    },
  };

  private heard(payload: string): void {
    this.stats.notifications += 1;
    const change = parseLiveChange(payload);
    if (!change) {
      this.log.warn({ payload: payload.slice(0, 200) }, 'live updates: a notification this gateway cannot read (a newer migration?)');
      return;
    }
    if (this.version === undefined || BigInt(change.version) > BigInt(this.version)) this.version = change.version;
    this.received(change);
  }

  /** Delivers at once after a quiet spell, else coalesces until coalesceMs after the last delivery. */
  private received(change: LiveChange): void {
    this.incoming = this.incoming ? mergeChanges(this.incoming, change) : change;
    if (this.timer) return;
    const wait = this.lastDelivery + this.limits.coalesceMs - Date.now();
    if (wait <= 0) this.deliver();
    else this.timer = setTimeout(() => this.deliver(), wait);
  }

  private deliver(): void {
    this.timer = undefined;
    const change = this.incoming;
    this.incoming = undefined;
    if (!change) return;
    this.lastDelivery = Date.now();
    // In order, one at a time: the reads below must not let a later delivery overtake an earlier one.
    this.delivering = this.delivering.then(() => this.fanOut(change)).catch((e: unknown) => {
      this.log.error({ err: describe(e) }, 'live updates: a delivery failed');
    });
  }

  private async fanOut(change: LiveChange): Promise<void> {
    const to = [...this.subscribers].filter((sub) => sub.wants(change));
    if (to.length === 0) return;
    const delivery: LiveDelivery = {
      change,
      units: to.some((s) => s.topic === 'figures') ? await this.unitsOf(change) : new Map(),
      sources: to.some((s) => s.topic === 'sources') ? await this.sourcesOf(change) : new Map(),
    };
    this.stats.deliveries += 1;
    for (const sub of to) {
      if (sub.done) continue;
      sub.pending = sub.pending ? mergeDeliveries(sub.pending, delivery) : delivery;
      sub.wake?.();
    }
  }

  /** Names of the top-level units a change lists: one query per delivery, shared by every subscriber. */
  private async unitsOf(change: LiveChange): Promise<Map<number, UnitRef>> {
    const ids = new Set<number>();
    for (const c of change.figures.values()) for (const id of c.l1s ?? []) ids.add(id);
    if (ids.size === 0) return new Map();
    const rows = await this.db.sql.query<UnitRow & { id: number }>(
      // Named as on its last day (today for an open unit): unit_name_at owns the rule.
      `SELECT id, code, unit_name_at(id, least(coalesce(valid_to, current_date), current_date)) AS name, kind,
              to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to
       FROM unit WHERE id = ANY($1::int[])`, [[...ids]],
    );
    return new Map(rows.map((r) => [r.id, unitRefOf(r)]));
  }

  /** The changed sources as they now are (every source when the list was coarsened): one query per delivery. */
  private async sourcesOf(change: LiveChange): Promise<Map<string, Source>> {
    if (change.sources?.size === 0) return new Map();
    const em = this.db.orm.em.fork();
    const rows = await em.find(Source, change.sources ? { code: { $in: [...change.sources] } } : {}, { orderBy: { code: 'asc' } });
    return new Map(rows.map((s) => [s.code, s]));
  }

  /** Ends every subscription (their clients see them complete) and closes the LISTEN connection. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const sub of [...this.subscribers]) {
      sub.done = true;
      this.subscribers.delete(sub);
      sub.owner.subscriptions -= 1;
      sub.wake?.();
    }
    if (this.subscribed) this.listener.off(LIVE_CHANNEL, this.channel);
    await this.delivering;
  }
}
