import { startSimulator, RunningSimulator } from '../../src/simulator';
import { SCALES } from '../../src/simulator/simulator.types';
import { createLogger } from '../../src/server/logger';
import { applyRegistry, parseRegistry, resolveSources } from '../../src/sources/source-registry.service';
import { SyncService } from '../../src/sync/sync.service';
import { entry } from '../sync/helpers';
import { ObservedGateway, Sample, startObservedGateway, valueOf } from './helpers';

/**
 * Sync metrics after real runs: the portal simulator on loopback (DVCQG's catalogue and recent months), and a
 * source whose server is not there (port 9: refused). The sync service of the test reports to the
 * app's registry (ServiceRegistry.metrics), read over HTTP at /metrics.
 */
let gw: ObservedGateway;
let sim: RunningSimulator;
let sync: SyncService;

beforeAll(async () => {
  gw = await startObservedGateway();
  sim = await startSimulator({ port: 0, scale: { ...SCALES.small, name: 'feed-provinces', oldProvinces: SCALES.small.feedProvinces } });
  const sources = resolveSources(
    parseRegistry({
      sources: [
        entry({ code: 'dvcqg-recent', kind: 'dvcqg' as never, precedence: 300, options: { from: '2025-09' } }),
        entry({ code: 'gone', kind: 'stats_export' as never, baseUrl: 'http://127.0.0.1:9/export/72', units: ['72'] }),
      ],
    }),
    { SIMULATOR_URL: sim.url },
    {},
  );
  await applyRegistry(gw.db.sql, sources);
  sync = new SyncService(gw.db.sql, sources, createLogger('silent'), {}, { concurrency: 2, metrics: gw.services.metrics });
});
afterAll(async () => {
  await gw?.stop();
  await sim?.close();
});

const runs = (m: Sample[], source: string, outcome: string) => valueOf(m, 'dvc_gateway_sync_runs_total', { source, outcome });

it('counts a run of the simulator by source and outcome, with its rows, duration and rollup refresh', async () => {
  const before = await gw.metrics();
  expect(valueOf(before, 'dvc_gateway_source_status', { source: 'dvcqg-recent', status: 'never' })).toBe(1);
  const outcome = await sync.sync('dvcqg-recent');
  expect(outcome.status).toBe('succeeded');
  expect(outcome.rowsRead).toBeGreaterThan(0);
  const m = await gw.metrics();
  expect(runs(m, 'dvcqg-recent', 'succeeded')).toBe(1);
  expect(valueOf(m, 'dvc_gateway_sync_run_duration_seconds_count', { source: 'dvcqg-recent', outcome: 'succeeded' })).toBe(1);
  expect(valueOf(m, 'dvc_gateway_sync_run_duration_seconds_sum', { source: 'dvcqg-recent', outcome: 'succeeded' })).toBeCloseTo(outcome.seconds, 1);
  expect(valueOf(m, 'dvc_gateway_sync_rows_total', { source: 'dvcqg-recent', direction: 'read' })).toBe(outcome.rowsRead);
  expect(valueOf(m, 'dvc_gateway_sync_rows_total', { source: 'dvcqg-recent', direction: 'written' })).toBe(outcome.rowsWritten);
  // The run went through the ingest core: its rows accepted, and the rollups refreshed in its transaction.
  expect(valueOf(m, 'dvc_gateway_ingest_rows_total', { kind: 'sync', outcome: 'accepted' })).toBe(outcome.rowsRead);
  expect(valueOf(m, 'dvc_gateway_ingest_batches_total', { kind: 'sync', outcome: 'accepted' })).toBe(1);
  expect(valueOf(m, 'dvc_gateway_rollup_refresh_seconds_count', { mode: 'run' })).toBe(1);
  expect(valueOf(m, 'dvc_gateway_source_status', { source: 'dvcqg-recent', status: 'healthy' })).toBe(1);
  expect(valueOf(m, 'dvc_gateway_source_status', { source: 'dvcqg-recent', status: 'never' })).toBe(0);
  expect(valueOf(m, 'dvc_gateway_source_consecutive_failures', { source: 'dvcqg-recent' })).toBe(0);
});

it('counts failed runs, and the source gauges say failing after three in a row (the sample alert\'s condition)', async () => {
  for (let i = 1; i <= 3; i++) {
    expect((await sync.sync('gone')).status).toBe('failed');
    const m = await gw.metrics();
    expect(runs(m, 'gone', 'failed')).toBe(i);
    expect(valueOf(m, 'dvc_gateway_source_consecutive_failures', { source: 'gone' })).toBe(i);
    expect(valueOf(m, 'dvc_gateway_source_status', { source: 'gone', status: i < 3 ? 'degraded' : 'failing' })).toBe(1);
    // Nothing was read, nothing written; the ingest session failed with its 0 rows.
    expect(valueOf(m, 'dvc_gateway_sync_rows_total', { source: 'gone', direction: 'read' })).toBe(0);
    expect(valueOf(m, 'dvc_gateway_ingest_batches_total', { kind: 'sync', outcome: 'failed' })).toBe(i);
  }
});

it('counts the deferred rollup refresh of a syncAll once', async () => {
  const outcomes = await sync.syncAll({ trigger: 'test' });
  expect(outcomes.map((o) => [o.code, o.status])).toEqual([['dvcqg-recent', 'succeeded'], ['gone', 'failed']]);
  const m = await gw.metrics();
  expect(runs(m, 'dvcqg-recent', 'succeeded')).toBe(2);
  expect(runs(m, 'gone', 'failed')).toBe(4);
  expect(valueOf(m, 'dvc_gateway_rollup_refresh_seconds_count', { mode: 'deferred' })).toBe(1);
  expect(valueOf(m, 'dvc_gateway_rollup_refresh_seconds_count', { mode: 'run' })).toBe(1);
  expect(valueOf(m, 'dvc_gateway_source_consecutive_failures', { source: 'gone' })).toBe(4);
});
