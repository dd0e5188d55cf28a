import { Client } from 'pg';
import type { Logger } from '../server/logger';
import { DatabaseHealth, DatabaseUnavailable, describe, failed } from './database-health';

/** What a listening connection offers a channel's owner: statements on it run after its LISTENs. */
export interface ListenConnection {
  query<R extends Record<string, unknown>>(text: string): Promise<R[]>;
}

/** What the owner of a channel is told (src/cache/data-version.ts, src/live/live-updates.service.ts). */
export interface ChannelHandler {
  /** Each NOTIFY on the channel, in the order the server sent them. */
  notified(payload: string): void;
  /**
   * The connection listens on the channel: at the owner's first subscription and after every
   * reconnection. A statement run on `conn` here sees every commit whose notification it did not
   * hear (LISTEN came first). Awaited before the channel counts as listened.
   */
  listening?(conn: ListenConnection): Promise<void> | void;
  /** The connection is lost or closed: nothing is heard until `listening` again. */
  lost?(): void;
}

export interface NotificationListenerOptions {
  url: string;
  /** Told of every connection-class failure; its recovery loop says when to try again. */
  health: DatabaseHealth;
  log: Logger;
  /** Waits between attempts while the database answers but the LISTEN connection fails (DB_RETRY_MIN_MS, DB_RETRY_MAX_MS). */
  retryMinMs: number;
  retryMaxMs: number;
}

/** The application_name of the listening connection (tests find its backend by it). */
export const LISTENER_APPLICATION_NAME = 'dvc-gateway listener';

const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

interface Open {
  client: Client;
  conn: ListenConnection;
  /** Per channel: LISTENed on this connection and its handlers told (settles once). */
  ready: Map<string, Promise<void>>;
}

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * The process's one LISTEN connection to PostgreSQL (on ServiceRegistry as `notifications`): the
 * data version (dvc_data_version) and live updates (dvc_live) subscribe to it by channel, and it
 * owns the one reconnection path. It opens with the first channel. Lost, it tells every channel's
 * owner (`lost`), reports to the database's health, waits until the health's recovery loop finds
 * the database up, then reconnects with its own backoff while LISTEN still fails, LISTENs on
 * every channel again and tells each owner (`listening`), which reads what it may have missed.
 * (Each used to hold its own connection with a copy of this path: two connections per process.)
 */
export class NotificationListener {
  private readonly handlers = new Map<string, Set<ChannelHandler>>();
  private open?: Open;
  private opening?: Promise<void>;
  private waiters: Waiter[] = [];
  private closed = false;
  /** Connections opened and lost (for tests and logs). */
  readonly stats = { connections: 0, losses: 0 };

  constructor(private readonly opts: NotificationListenerOptions) {}

  /** Whether the connection is open now. */
  get connected(): boolean {
    return !!this.open;
  }

  /** The backend process id of the listening connection, while open (tests terminate it). */
  get backendPid(): number | undefined {
    return (this.open?.client as unknown as { processID?: number } | undefined)?.processID;
  }

  /** The channels subscribed to, listened on while connected. */
  get channels(): string[] {
    return [...this.handlers.keys()];
  }

  /** Subscribes `handler` to `channel` (a constant name: it goes into LISTEN as it is); opens the connection if needed. */
  on(channel: string, handler: ChannelHandler): void {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`not a channel name: ${channel}`);
    if (this.closed) return;
    const set = this.handlers.get(channel) ?? new Set();
    if (set.has(handler)) return;
    set.add(handler);
    this.handlers.set(channel, set);
    const open = this.open;
    if (!open) return this.start();
    const ready = open.ready.get(channel);
    this.track(open, channel, ready ? ready.then(() => handler.listening?.(open.conn)) : this.listenOn(open, channel));
  }

  /** Unsubscribes `handler`; the channel is UNLISTENed when its last handler leaves. */
  off(channel: string, handler: ChannelHandler): void {
    const set = this.handlers.get(channel);
    if (!set?.delete(handler)) return;
    if (set.size > 0) return;
    this.handlers.delete(channel);
    const open = this.open;
    if (!open?.ready.delete(channel)) return;
    open.client.query(`UNLISTEN ${channel}`).catch(() => undefined); // a failure is the connection's, handled by lost()
  }

  /**
   * Resolves once the connection listens on `channel` (subscribed with on()) and its handlers were
   * told. While the database is down, or when the next attempt fails, rejects with DatabaseUnavailable.
   */
  whenListening(channel: string): Promise<void> {
    if (this.closed) return Promise.reject(new DatabaseUnavailable(new Error('the listener is closed')));
    const open = this.open;
    if (open) {
      const ready = open.ready.get(channel);
      if (!ready) return Promise.reject(new Error(`not subscribed: ${channel}`));
      return ready.catch((e: unknown) => failed(this.opts.health, e));
    }
    if (!this.opts.health.up) return Promise.reject(new DatabaseUnavailable(new Error('the database is down')));
    this.start();
    return new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject })).then(
      () => this.whenListening(channel),
      (e: unknown) => failed(this.opts.health, e),
    );
  }

  /** Closes the connection (at shutdown); the owners are told `lost`. */
  async close(): Promise<void> {
    this.closed = true;
    this.settle(new DatabaseUnavailable(new Error('the listener is closed')));
    const open = this.open;
    if (!open) return;
    this.drop(open);
    open.client.removeAllListeners('end');
    await open.client.end().catch(() => undefined);
  }

  private start(): void {
    if (this.open || this.opening || this.closed || this.handlers.size === 0) return;
    this.opening = this.openLoop().finally(() => (this.opening = undefined));
  }

  /** Waits for the database's health, then connects; while that fails, waits retryMinMs doubling to retryMaxMs. */
  private async openLoop(): Promise<void> {
    let wait = this.opts.retryMinMs;
    while (!this.closed) {
      await this.opts.health.whenUp();
      if (this.closed) return;
      try {
        await this.connect();
        this.settle();
        return;
      } catch (e) {
        if (this.closed) return;
        this.opts.health.report(e);
        this.opts.log.warn({ err: describe(e), retryInMs: wait, channels: this.channels }, 'notifications: LISTEN failed; listening when it succeeds');
        this.settle(e);
      }
      await new Promise((r) => setTimeout(r, wait).unref());
      wait = Math.min(wait * 2, this.opts.retryMaxMs);
    }
  }

  private async connect(): Promise<void> {
    const client = new Client({ connectionString: this.opts.url, application_name: LISTENER_APPLICATION_NAME });
    const open: Open = {
      client,
      conn: { query: async <R extends Record<string, unknown>>(text: string) => (await client.query<R>(text)).rows },
      ready: new Map(),
    };
    client.on('notification', (n) => {
      if (this.closed) return;
      for (const h of this.handlers.get(n.channel) ?? []) h.notified(n.payload ?? '');
    });
    client.on('error', (e) => this.lost(open, e));
    client.on('end', () => this.lost(open, new Error('Connection terminated')));
    try {
      await client.connect();
      const channels = this.channels;
      if (channels.length > 0) await client.query(channels.map((c) => `LISTEN ${c}`).join('; '));
      if (this.closed) throw new Error('closed');
      this.open = open;
      this.stats.connections += 1;
      // A channel subscribed to during the LISTEN above is LISTENed on its own.
      for (const c of this.channels) this.track(open, c, channels.includes(c) ? this.tell(open, c) : this.listenOn(open, c));
      await Promise.all(open.ready.values());
    } catch (e) {
      this.drop(open);
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw e;
    }
  }

  /** LISTEN on a channel subscribed to while the connection is open. */
  private async listenOn(open: Open, channel: string): Promise<void> {
    await open.client.query(`LISTEN ${channel}`);
    await this.tell(open, channel);
  }

  private async tell(open: Open, channel: string): Promise<void> {
    for (const h of [...(this.handlers.get(channel) ?? [])]) await h.listening?.(open.conn);
  }

  /** Records a channel's readiness; a failure (the connection's: lost() reconnects) is kept for whenListening only. */
  private track(open: Open, channel: string, ready: Promise<void>): void {
    open.ready.set(channel, ready);
    ready.catch(() => undefined);
  }

  /** The connection is no longer the listening one: every owner is told. */
  private drop(open: Open): void {
    if (this.open !== open) return;
    this.open = undefined;
    for (const set of this.handlers.values()) for (const h of set) h.lost?.();
  }

  /** The open connection failed: tell the owners and the health, then listen again once the database is back. */
  private lost(open: Open, e: unknown): void {
    if (this.open !== open) return;
    this.drop(open);
    open.client.removeAllListeners('end');
    open.client.end().catch(() => undefined);
    if (this.closed) return;
    this.stats.losses += 1;
    this.opts.health.report(e);
    this.opts.log.warn({ err: describe(e), channels: this.channels }, 'notifications: lost the LISTEN connection; listening again when the database is back');
    this.start();
  }

  /** Tells whoever waits for the current attempt how it went. */
  private settle(e?: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (e === undefined) w.resolve();
      else w.reject(e);
    }
  }
}
