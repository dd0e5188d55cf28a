import fs from 'node:fs';
import { clusterClient, createSyncKey, GatewayProcess, HttpAnswer, isAlive, postmasterPid, stopCluster, tempDir, waitFor } from './gateway-process';
import { freePort } from '../../src/common/free-port';

/**
 * Issue 8, item 1: kill -9 of the embedded postmaster while requests keep coming and a sync is
 * writing. The gateway must answer 503 (/health says the database is down, GraphQL says
 * SERVICE_UNAVAILABLE with no internals), restart the cluster by itself, serve again and never
 * exit; the sync fails cleanly with nothing written, and the job queue runs the next one.
 * Real processes only; no timing is asserted (only order and outcome).
 */
describe('database outage: the embedded PostgreSQL killed under traffic', () => {
  let dir: string;
  let gw: GatewayProcess | undefined;
  let byUrl: GatewayProcess | undefined;

  beforeAll(() => {
    dir = tempDir('dvc-resilience-outage-');
  });

  afterAll(async () => {
    await byUrl?.stop('SIGTERM').catch(() => undefined);
    await gw?.stop('SIGTERM').catch(() => undefined);
    await stopCluster(`${dir}/pg`);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while the database is down, restarts it, serves again and never exits', async () => {
    const dataDir = `${dir}/pg`;
    const pgPort = await freePort();
    gw = await GatewayProcess.start({
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      SYNC_ON_START: 'false',
      DB_RETRY_MIN_MS: '100',
      DB_RETRY_MAX_MS: '1000',
      // A sweep every second, so one runs between the restart and the end of the test.
      ABANDONED_RUN_CHECK_MS: '1000',
    });
    const g = gw;
    expect(await g.health()).toEqual({ status: 200, body: { status: 'ok', database: 'up' } });
    const key = await createSyncKey(dataDir, pgPort);
    const db = await clusterClient(dataDir, pgPort);
    // A second gateway on the same cluster through DATABASE_URL: it cannot restart the server,
    // it reconnects with backoff once the first one has.
    const { password } = JSON.parse(fs.readFileSync(`${dataDir}.credentials.json`, 'utf8')) as { password: string };
    byUrl = await GatewayProcess.start({
      DATABASE_URL: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${pgPort}/dvc_gateway`,
      SYNC_ON_START: 'false', DB_RETRY_MIN_MS: '100', DB_RETRY_MAX_MS: '1000', ABANDONED_RUN_CHECK_MS: '1000',
    });
    const g2 = byUrl;

    // Traffic: health checks and GraphQL reads, four at a time, until told to stop.
    const health: HttpAnswer[] = [];
    const reads: HttpAnswer[] = [];
    const health2: HttpAnswer[] = [];
    let stopTraffic = false;
    let inFlight: number | undefined;
    const loop = async (send: () => Promise<HttpAnswer>, into: HttpAnswer[]) => {
      while (!stopTraffic) {
        into.push(await send().catch((e: unknown) => ({ status: 0, body: String(e) })));
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const traffic = Promise.all([
      loop(() => g.health(), health),
      loop(() => g.health(), health),
      loop(() => g.gql('{ sectors { code } units(first: 3) { nodes { code } } }'), reads),
      loop(() => g.gql('{ sources { code status } }'), reads),
      loop(() => g2.health(), health2),
    ]);
    try {
      await waitFor('some answers before the kill', () => reads.length >= 4 && health.length >= 4, 10_000);
      // A sync in flight through the job queue, its transaction already writing, when the server dies.
      const queued = await g.gql('mutation { syncSource(code: "dvcqg", wait: false) { state } }', key);
      expect(queued.body.data.syncSource.state).toBe('QUEUED');
      inFlight = await waitFor('a running sync whose transaction has written', async () => {
        const { rows } = await db.query<{ id: number }>(
          `SELECT r.id FROM ingest_run r JOIN pg_stat_activity a ON a.pid = r.backend_pid AND a.backend_start = r.backend_start
           WHERE r.kind = 'sync' AND r.status = 'running' AND a.backend_xid IS NOT NULL LIMIT 1`,
        );
        return rows[0]?.id;
      }, 30_000, 20);
      const killed = postmasterPid(dataDir)!;
      expect(killed).toBeGreaterThan(0);
      process.kill(killed, 'SIGKILL');

      // Down, then up again: the answers say so in that order.
      await waitFor('/health to say the database is down', () => health.some((h) => h.status === 503 && h.body?.database === 'down'), 20_000);
      const downAt = health.findIndex((h) => h.status === 503);
      await waitFor('/health to answer 200 again', () => health.slice(downAt).some((h) => h.status === 200), 40_000);
      const upAt = downAt + health.slice(downAt).findIndex((h) => h.status === 200);
      // The gateway on DATABASE_URL went down and came back too.
      await waitFor('/health of the DATABASE_URL gateway to say down, then 200', () => {
        const down = health2.findIndex((h) => h.status === 503 && h.body?.database === 'down');
        return down >= 0 && health2.slice(down).some((h) => h.status === 200);
      }, 40_000);
      const readsBefore = reads.length;
      await waitFor('a GraphQL read to answer again', () => reads.slice(readsBefore).some((r) => r.status === 200 && r.body?.data?.sectors), 20_000);

      expect(health[downAt].body).toEqual({ status: 'unavailable', database: 'down' });
      // Once up, it stays up. On a failure, show the first answer that was not 200 and the
      // gateway's database log lines (an earlier fresh-clone CI run saw one such flap once).
      const flap = health.slice(upAt).find((h) => h.status !== 200);
      expect({ flap, log: flap && g.logs.split('\n').filter((l) => /database/i.test(l)) }).toEqual({ flap: undefined, log: undefined });
      // The cluster runs again under a new postmaster, started by the gateway.
      const restarted = postmasterPid(dataDir)!;
      expect(restarted).not.toBe(killed);
      expect(isAlive(restarted)).toBe(true);
    } finally {
      stopTraffic = true;
      await traffic;
      await db.end().catch(() => undefined); // its server was killed under it
    }

    // While down, GraphQL said so: 503, SERVICE_UNAVAILABLE, the same short message, no internals.
    const unavailable = reads.filter((r) => r.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const r of unavailable) {
      expect(r.body.errors.length).toBeGreaterThan(0);
      for (const e of r.body.errors) expect(e).toMatchObject({ message: 'The database is unavailable at the moment; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    const text = JSON.stringify(unavailable);
    expect(text).not.toMatch(/select|ECONNREFUSED|127\.0\.0\.1|postmaster|stacktrace|\.ts:|\.js:/i);
    // No other kind of failure reached a client.
    expect(reads.filter((r) => r.status !== 200 && r.status !== 503)).toEqual([]);
    expect(health.filter((h) => h.status !== 200 && h.status !== 503)).toEqual([]);

    // The process never exited, and logged the outage and each recovery attempt.
    expect(g.alive).toBe(true);
    expect(g.logs).toMatch(/"msg":"database unavailable: requests get 503 until it answers again"/);
    expect(g.logs).toMatch(/"attempt":1,"msg":"database recovery: restarting the embedded PostgreSQL/);
    expect(g.logs).toMatch(/"msg":"database available again"/);
    expect(g2.alive).toBe(true);
    expect(g2.logs).toMatch(/"attempt":1,"msg":"database recovery: reconnecting"/);
    expect(g2.logs).toMatch(/"msg":"database available again"/);
    expect(health2.filter((h) => h.status !== 200 && h.status !== 503)).toEqual([]);

    // The sync in flight failed cleanly: closed (by itself or by the abandoned-run sweep), nothing of it written.
    const client = await clusterClient(dataDir, pgPort);
    try {
      const closed = await waitFor('the interrupted run to be closed', async () => {
        const [r] = (await client.query(`SELECT status::text, error FROM ingest_run WHERE id = $1`, [inFlight])).rows;
        return r.status !== 'running' && r;
      }, 20_000, 100);
      expect(['abandoned', 'failed']).toContain(closed.status);
      for (const table of ['sector', 'procedure', 'service', 'service_level', 'filing_stat', 'plan', 'fact_revision']) {
        const [{ n }] = (await client.query(`SELECT count(*)::int AS n FROM ${table} WHERE run_id = $1`, [inFlight])).rows;
        expect({ table, n }).toEqual({ table, n: 0 });
      }

      // The job queue resumes: the same source syncs again through pg-boss (its interrupted job
      // released), and the run is recorded with its job.
      const res = await g.gql('mutation { syncSource(code: "dvcqg") { state error run { id status } source { status } } }', key);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.syncSource).toMatchObject({ state: 'SUCCEEDED', run: { status: 'SUCCEEDED' }, source: { status: 'HEALTHY' } });
      expect(Number(res.body.data.syncSource.run.id)).toBeGreaterThan(inFlight!);
      const [run] = (await client.query(`SELECT detail->>'job' AS job FROM ingest_run WHERE id = $1`, [res.body.data.syncSource.run.id])).rows;
      expect(run.job).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await client.end();
    }
    expect(g.alive).toBe(true);

    // And both still stop cleanly, the first taking the restarted cluster down with it.
    expect(await g2.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const restarted = postmasterPid(dataDir)!;
    expect(await g.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await waitFor('the restarted postmaster to stop with the gateway', () => !isAlive(restarted), 15_000);
  }, 180_000); // each wait inside is bounded; on a loaded 2-core machine their sum can pass jest's 60 s default
});
