import fs from 'node:fs';
import path from 'node:path';
import { Database } from '../../src/db/database';
import { SqlClient } from '../../src/db/sql';
import { Batch } from '../../src/ingest/batch';
import { lockFactScope } from '../../src/ingest/fact-upsert';
import { IngestService } from '../../src/ingest/ingest.service';
import { closeAbandonedRuns } from '../../src/provenance/abandoned-run.service';
import { createTestDatabase } from '../support/harness';

/**
 * A pushed batch's run names the backend of the connection that writes it, so that the
 * abandoned-run sweep can tell a live push from one whose process died. Shown on a real push held
 * at its fact lock: alive, the sweep leaves it alone; its connection killed, nothing is written.
 */
describe('push runs and their backend', () => {
  let db: Database;
  let sourceId: number;
  const batch = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8')) as Batch;

  beforeAll(async () => {
    db = await createTestDatabase();
    [{ id: sourceId }] = await db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('push:test', 'Test push', 'push', 100) RETURNING id`);
  });
  afterAll(() => db?.close());

  it('records the live backend, survives the sweep while alive, and writes nothing when its connection dies', async () => {
    // Another writer holds every fact lock: the push opens its run, then waits inside its transaction.
    const holder = await db.sql.pool.connect();
    await holder.query('BEGIN');
    await lockFactScope(new SqlClient(holder), 'all');
    const push = new IngestService(db.sql).ingest(batch, { sourceId, kind: 'push', maxRows: 1000 });
    push.catch(() => undefined);

    let run: { id: number; backend_pid: number | null } | undefined;
    for (let i = 0; i < 200 && !run; i++) {
      [run] = await db.sql.query<{ id: number; backend_pid: number | null }>(`SELECT id, backend_pid FROM ingest_run WHERE source_id = $1 AND status = 'running'`, [sourceId]);
      if (!run) await new Promise((r) => setTimeout(r, 25));
    }
    expect(run?.backend_pid).toEqual(expect.any(Number));
    const [waiting] = await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1 AND xact_start IS NOT NULL`, [run!.backend_pid]);
    expect(Number(waiting.n)).toBe(1);

    // Alive: the sweep does not touch it.
    expect(await closeAbandonedRuns(db.sql, { failingAfter: 3 })).toEqual([]);
    const [still] = await db.sql.query<{ status: string }>('SELECT status FROM ingest_run WHERE id = $1', [run!.id]);
    expect(still.status).toBe('running');

    // Its connection dies (as when the process or the network goes): the transaction goes with it.
    await db.sql.query('SELECT pg_terminate_backend($1)', [run!.backend_pid]);
    await expect(push).rejects.toBeDefined();
    await holder.query('ROLLBACK');
    holder.release();

    const [ended] = await db.sql.query<{ status: string; error: string }>('SELECT status, error FROM ingest_run WHERE id = $1', [run!.id]);
    // This process lived to record it: failed, in words that name no driver or SQL.
    expect(ended).toEqual({ status: 'failed', error: expect.stringMatching(/^failed, nothing written: (the database became unavailable|an internal error stopped it \(details in the gateway log\))$/) });
    for (const table of ['filing_stat', 'service_level', 'service', 'plan', 'procedure', 'sector', 'fact_revision']) {
      const [n] = await db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE run_id = $1`, [run!.id]);
      expect({ table, rows: Number(n.n) }).toEqual({ table, rows: 0 });
    }
  });
});
