import { Logger } from '../server/logger';
import { IngestSession } from '../ingest/ingest-session';
import { ResolvedSource } from '../sources/source-registry.service';
import { HttpClient } from './http.client';

export interface SyncProgress {
  /** What is being read, e.g. "dossiers", "levels 2021-03". */
  phase: string;
  done: number;
  total?: number;
  /** Unit of done/total: "dossiers", "months", "rows". */
  unit: string;
}

/** Everything a connector needs for one run; it hands what it reads to `session` (the ingest core). */
export interface ConnectorContext {
  source: ResolvedSource & { id: number };
  session: IngestSession;
  http: HttpClient;
  /** The state saved by the last successful run ({} on a full sync). */
  state: Record<string, unknown>;
  full: boolean;
  credential(name: string): string;
  progress(p: SyncProgress): void;
  log: Logger;
}

export interface ConnectorResult {
  /** Saved with the data (same transaction) for the next run to resume from. */
  state: Record<string, unknown>;
  detail?: Record<string, unknown>;
}

/**
 * Reads one source's own format and maps it to the ingest core's records: interchange rows
 * (`session.stage`: catalogue, service levels, filing counts, plans) or dossiers
 * (`session.dossiers()`). Everything after that (validation, codes, statistics, writes) is the
 * core's. A connector throws on anything it cannot trust; the sync then writes nothing. Each
 * kind is registered in connector-registry.ts.
 */
export interface Connector {
  run(ctx: ConnectorContext): Promise<ConnectorResult>;
}

/** A month as "YYYY-MM" ↔ an index (months since 0000-01), for stepping through periods. */
export const monthIndex = (m: string): number => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
export const monthLabel = (i: number): string => `${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`;


/** Number option from the registry with a default. */
export function intOption(options: Record<string, unknown>, name: string, fallback: number): number {
  const v = options[name];
  return typeof v === 'number' && Number.isInteger(v) ? v : fallback;
}

export function stringOption(options: Record<string, unknown>, name: string, fallback: string): string {
  const v = options[name];
  return typeof v === 'string' ? v : fallback;
}

/**
 * Fetches `count` items with up to `concurrency` requests in flight, and hands the results to
 * `consume` strictly in order (so order-dependent logic stays simple while requests overlap).
 */
export async function orderedPool<T>(count: number, concurrency: number, fetch: (i: number) => Promise<T>, consume: (value: T, i: number) => Promise<void> | void): Promise<void> {
  const inflight = new Map<number, Promise<T>>();
  let next = 0;
  const launch = () => {
    while (next < count && inflight.size < Math.max(1, concurrency)) {
      const i = next++;
      const p = fetch(i);
      p.catch(() => undefined); // consumed (and rethrown) in order below
      inflight.set(i, p);
    }
  };
  launch();
  for (let i = 0; i < count; i++) {
    const value = await inflight.get(i)!;
    inflight.delete(i);
    launch();
    await consume(value, i);
  }
}
