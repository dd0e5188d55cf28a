import type { DataVersion } from '../cache/data-version';
import type { HeapPolicy } from './heap-policy';
import type { LiveUpdates } from '../live/live-updates.service';
import type { NotificationListener } from '../db/notification-listener';
import type { Metrics } from '../observability/metrics';
import type { SyncRuntime } from '../sync/sync.runtime';

/**
 * The process-wide services a request may need, one object per gateway process, handed to every
 * request's context (server/app.ts contextFactory) instead of living in module globals.
 *
 * It is a holder, not a snapshot: the HTTP server starts (and /health answers 503) before the
 * federation exists, so startFederation fills `sync` later and clears it at shutdown, and each
 * request reads whatever is there when it runs.
 */
export class ServiceRegistry {
  /** The sync machinery, while this process runs it (absent before start-up is done, after shutdown, and in processes that do not sync). */
  sync?: SyncRuntime;
  /** The process's one LISTEN connection, shared by the data version and live updates by channel; absent when neither is on. */
  notifications?: NotificationListener;
  /** The data version's reader, shared by every request (coalesced reads); absent with RESPONSE_CACHE=off. */
  dataVersion?: DataVersion;
  /** The LISTEN connection and its subscribers (src/live/); absent with LIVE_UPDATES=false. */
  live?: LiveUpdates;
  /** The process's Prometheus metrics (src/observability/metrics.ts); absent with METRICS=false. */
  metrics?: Metrics;
  /** The process's heap growth, raised while a sync runs (absent: V8's own, e.g. in tests). */
  heap?: HeapPolicy;
}
