import fs from 'node:fs';
import { Client } from 'pg';
import { clusterClient, createSyncKey, GatewayProcess, isAlive, postmasterPid, stopCluster, tempDir, waitFor } from './gateway-process';
import { freePort } from '../../src/common/free-port';

/** Every table whose rows name the ingest run that wrote them. */
const FACT_TABLES = ['sector', 'procedure', 'service', 'service_level', 'filing_stat', 'plan', 'fact_revision'];

/**
 * Issue 8, item 2: SIGKILL of the gateway in the middle of a sync, then a restart on the same
 * data. The interrupted run must be closed as abandoned with a reason, its source degraded, no
 * fact row may carry its id (its transaction died with the process), and the next run goes ahead.
 */
describe('interrupted work: the gateway killed mid-sync', () => {
  let dir: string;
  const gateways: GatewayProcess[] = [];
  let db: Client | undefined;

  beforeAll(() => {
    dir = tempDir('dvc-resilience-sync-');
  });

  afterAll(async () => {
    await db?.end().catch(() => undefined);
    for (const g of gateways) await g.stop('SIGKILL').catch(() => undefined);
    // The killed gateway's postmaster outlives it (the restarted one shares it): stop it here.
    await stopCluster(`${dir}/pg`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closes the run as abandoned at restart, with nothing written, and syncs the source again', async () => {
    const dataDir = `${dir}/pg`;
    const pgPort = await freePort();
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), DB_RETRY_MIN_MS: '100', DB_RETRY_MAX_MS: '1000' };

    // First life: the first sync starts at start-up; watch ingest_run from beside it.
    const first = await GatewayProcess.start({ ...env, SYNC_ON_START: 'true' }, { waitReady: false });
    gateways.push(first);
    await first.waitForLog(/"msg":"portal simulator started in-process/, 45_000);
    db = await clusterClient(dataDir, pgPort);
    const client = db;
    // A sync run whose transaction has written (its backend holds a transaction id): kill now.
    const running = await waitFor('a running sync whose transaction has written', async () => {
      const { rows } = await client.query<{ id: number; code: string; source_id: number }>(
        `SELECT r.id, s.code, r.source_id FROM ingest_run r JOIN source s ON s.id = r.source_id
         JOIN pg_stat_activity a ON a.pid = r.backend_pid AND a.backend_start = r.backend_start
         WHERE r.kind = 'sync' AND r.status = 'running' AND a.backend_xid IS NOT NULL ORDER BY r.id LIMIT 1`,
      );
      return rows[0];
    }, 30_000, 20);
    first.child.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    // The killed process left the run RUNNING (nobody could record anything).
    const [left] = (await client.query(`SELECT status::text FROM ingest_run WHERE id = $1`, [running.id])).rows;
    expect(left.status).toBe('running');

    // Second life on the same data, no sync at start: the start-up sweep alone must close the run.
    const second = await GatewayProcess.start({ ...env, SYNC_ON_START: 'false' });
    gateways.push(second);
    const [run] = (await client.query(`SELECT status::text, error, finished_at FROM ingest_run WHERE id = $1`, [running.id])).rows;
    expect(run.status).toBe('abandoned');
    expect(run.error).toMatch(/^abandoned: the process running it stopped .* nothing was written$/);
    expect(run.finished_at).not.toBeNull();
    const [source] = (await client.query(`SELECT status::text, consecutive_failures, last_error FROM source WHERE id = $1`, [running.source_id])).rows;
    expect(source).toEqual({ status: 'degraded', consecutive_failures: 1, last_error: run.error });
    for (const table of FACT_TABLES) {
      const [{ n }] = (await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE run_id = $1`, [running.id])).rows;
      expect({ table, n }).toEqual({ table, n: 0 });
    }
    expect(second.logs).toMatch(new RegExp(`"run":${running.id},"source":"${running.code}","kind":"sync","msg":"closed a run abandoned by a process that stopped"`));

    // The API tells the same story.
    const seen = await second.gql(`{ sources { code status lastError runs(last: 1) { id status error } } }`);
    const mine = seen.body.data.sources.find((s: { code: string }) => s.code === running.code);
    expect(mine).toMatchObject({ status: 'DEGRADED', runs: [{ id: String(running.id), status: 'ABANDONED', error: run.error }] });

    // The next run goes ahead (through the job queue) and the source is healthy again.
    const key = await createSyncKey(dataDir, pgPort);
    const next = await second.gql(`mutation { syncSource(code: "${running.code}") { state error run { id status } source { status consecutiveFailures } } }`, key);
    expect(next.body.errors).toBeUndefined();
    expect(next.body.data.syncSource).toMatchObject({ state: 'SUCCEEDED', run: { status: 'SUCCEEDED' }, source: { status: 'HEALTHY', consecutiveFailures: 0 } });
    expect(Number(next.body.data.syncSource.run.id)).toBeGreaterThan(running.id);
    expect(second.alive).toBe(true);

    // The killed gateway's postmaster outlived it; the second one adopted it (its parent is init)
    // and stops it with itself. (Under a subreaper the orphan's parent is not init: nobody adopts
    // it, the behaviour for a shared cluster, and afterAll stops it.)
    const orphan = postmasterPid(dataDir)!;
    expect(isAlive(orphan)).toBe(true);
    const stat = fs.readFileSync(`/proc/${orphan}/stat`, 'utf8');
    const reparentedToInit = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === 1;
    await db.end();
    db = undefined;
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(isAlive(orphan)).toBe(!reparentedToInit);
  }, 180_000); // each wait inside is bounded; on a loaded 2-core machine their sum can pass jest's 60 s default
});
