import { Client, Notification } from 'pg';
import { Database } from '../../src/db/database';
import { parseLiveChange } from '../../src/live/live-change';
import { LIVE_CHANNEL } from '../../src/live/live-updates.service';
import { FactType } from '../../src/provenance/fact-revision.entity';
import { waitFor } from '../resilience/gateway-process';
import { createTestDatabase } from '../support/harness';

/**
 * The NOTIFY itself (migrations/Migration20261215000000_live_updates.ts), heard on a plain pg
 * LISTEN: sent at COMMIT only, never for a rollback, and within NOTIFY's 8000 bytes however much
 * a commit changed (months coarsened to their range, then units to "every unit").
 */
let db: Database;
let listener: Client;
const heard: Notification[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  listener = new Client({ connectionString: db.url });
  await listener.connect();
  listener.on('notification', (n) => heard.push(n));
  await listener.query(`LISTEN ${LIVE_CHANNEL}`);
});
afterAll(async () => {
  await listener?.end();
  await db?.close();
});

const months = (n: number) => Array.from({ length: n }, (_, i) => `${1900 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);

/** Notes a change as the triggers do, then writes a watched table (no row: the statement trigger marks the transaction). */
async function commitNote(l1s: number[], ms: string[], rollback = false): Promise<void> {
  await db.sql.transaction(async (tx) => {
    await tx.query(`SELECT live_note('filing_stat', $1::int[], $2::text[])`, [l1s, ms]);
    await tx.query(`SELECT live_note('filing_stat', $1::int[], $2::text[])`, [[l1s[0]], ['1899-12']]);
    await tx.query('UPDATE source SET name = name WHERE false');
    if (rollback) throw new Error('rolled back');
  }).catch((e: Error) => {
    if (e.message !== 'rolled back') throw e;
  });
}

describe('the dvc_live notification', () => {
  it('says what changed, once, at commit; nothing for a rollback', async () => {
    await commitNote([5, 3], ['2021-06'], true);
    await commitNote([5, 3], ['2021-06']);
    await waitFor('a notification', () => heard.length >= 1, 10_000, 10);
    // The rollback said nothing: the one heard is the commit's (a statement after it orders the check).
    await db.sql.query('SELECT 1');
    expect(heard).toHaveLength(1);
    const payload = JSON.parse(heard[0].payload!);
    const [{ v }] = await db.sql.query<{ v: string }>('SELECT sum(n)::text AS v FROM data_version');
    expect(payload).toEqual({ v, f: { filing_stat: { u: [3, 5], m: ['1899-12', '2021-06'] } }, s: [] });
    heard.length = 0;
  });

  it('stays within 8000 bytes: months become their range, then units every unit', async () => {
    await commitNote([1, 2, 3], months(1200));
    await waitFor('a notification', () => heard.length >= 1, 10_000, 10);
    const ranged = heard.shift()!.payload!;
    expect(Buffer.byteLength(ranged)).toBeLessThanOrEqual(8000);
    expect(JSON.parse(ranged).f).toEqual({ filing_stat: { u: [1, 2, 3], m: null, r: ['1899-12', '1999-12'] } });
    expect(parseLiveChange(ranged)!.figures.get(FactType.FILING_STAT)).toEqual({ l1s: new Set([1, 2, 3]), months: null, range: ['1899-12', '1999-12'] });

    await commitNote(Array.from({ length: 3000 }, (_, i) => 1_000_000 + i), months(1200));
    await waitFor('a notification', () => heard.length >= 1, 10_000, 10);
    const coarse = heard.shift()!.payload!;
    expect(Buffer.byteLength(coarse)).toBeLessThanOrEqual(8000);
    expect(JSON.parse(coarse).f).toEqual({ filing_stat: { u: null, m: null, r: ['1899-12', '1999-12'] } });
  });

  it('a published figure notes its top-level unit and the months its period covers', async () => {
    // A unit of Hà Nội (code 01), below it when the reference data has one: heard as Hà Nội's; a quarter is its three months.
    const [unit] = await db.sql.query<{ id: number; l1: number }>(
      `SELECT u.id, m.l1_id AS l1 FROM unit u JOIN unit_map m ON m.unit_id = u.id JOIN unit p ON p.id = m.l1_id
       WHERE p.code = '01' ORDER BY u.id = p.id, u.id LIMIT 1`);
    expect(unit).toBeDefined();
    await db.sql.transaction(async (tx) => {
      const [src] = await tx.query<{ id: number }>(`INSERT INTO source (code, name, kind) VALUES ('live-published', 'live test', 'push') RETURNING id`);
      const [run] = await tx.query<{ id: number }>(`INSERT INTO ingest_run (source_id, kind) VALUES ($1, 'push') RETURNING id`, [src.id]);
      await tx.query(
        `INSERT INTO published_indicator (source_id, run_id, unit_id, l1_id, indicator, period_grain, period_start, period_end, document_number, value, document_date)
         VALUES ($1, $2, $3, $4, 'online_dossier_rate', 'quarter', '2025-04-01', '2025-06-30', '12/BC-UBND', 0.5, '2025-07-05')`,
        [src.id, run.id, unit.id, unit.l1]);
      // A published 766 score of the second half: heard under its own kind, its six months.
      await tx.query(
        `INSERT INTO published_index_score (source_id, run_id, unit_id, l1_id, period_grain, period_start, period_end, component, points, rank)
         VALUES ($1, $2, $3, $4, 'quarter', '2025-07-01', '2025-09-30', 'total', 81.5, 4), ($1, $2, $3, $4, 'quarter', '2025-10-01', '2025-12-31', 'total', 82, 3)`,
        [src.id, run.id, unit.l1, unit.l1]);
    });
    await waitFor('a notification', () => heard.length >= 1, 10_000, 10);
    const payload = JSON.parse(heard.shift()!.payload!);
    expect(payload.f.published_indicator).toEqual({ u: [unit.l1], m: ['2025-04', '2025-05', '2025-06'] });
    expect(payload.f.published_index_score).toEqual({ u: [unit.l1], m: ['2025-07', '2025-08', '2025-09', '2025-10', '2025-11', '2025-12'] });
  });
});
