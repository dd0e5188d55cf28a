import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { Database } from '../../src/db/database';
import { SqlClient } from '../../src/db/sql';
import { BinaryCopyRows } from '../../src/ingest/binary-copy.rows';
import { COUNTED, countSql, DossierFlag as F, MAX_GROUPS, MonthlyCounts } from '../../src/ingest/monthly-counts';
import { createTestDatabase } from '../support/harness';

/**
 * A first load's monthly statistics are counted while the dossiers stream (MonthlyCounts) and
 * COPYed into the fact stage: the rows PostgreSQL reads back are the groups counted by hand, in
 * filing_stat's key order; on many dossiers they equal the SQL recount (countSql) of the same
 * dossiers; and past MAX_GROUPS the count gives up.
 */
describe('monthly statistics counted while streaming', () => {
  let db: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  const copyGroups = async (tx: SqlClient, counts: MonthlyCounts, slices: number[]) => {
    await tx.query(`CREATE TEMP TABLE counted (seq serial, month date, unit_id int, procedure_id int, ${COUNTED.map((c) => `${c} int`).join(', ')}) ON COMMIT DROP`);
    const order = counts.sorted();
    const rows = new BinaryCopyRows(16);
    // In slices, as the stage writes them.
    for (let i = 0; i + 1 < slices.length; i++) counts.write(rows, order, slices[i], slices[i + 1]);
    expect(rows.rows).toBe(counts.groups);
    await pipeline(Readable.from([rows.bytes()]), tx.client.query(copyFrom(`COPY counted (month, unit_id, procedure_id, ${COUNTED.join(', ')}) FROM STDIN (FORMAT binary)`)));
  };

  it("counts each group's dossiers by flag and writes them in key order", async () => {
    const counts = new MonthlyCounts();
    const add = (unit: number, procedure: number, day: number, flags: number) => expect(counts.add(unit, procedure, day, flags)).toBe(true);
    // Unit 7, procedure 3, March 2025: online on time with a fee paid online; in person, late; postal, synced; in person, open.
    add(7, 3, 20250302, F.ONLINE | F.RESOLVED_ON_TIME | F.FEE | F.PAID_ONLINE);
    add(7, 3, 20250331, F.IN_PERSON | F.RESOLVED_LATE);
    add(7, 3, 20250315, F.POSTAL | F.SYNCED);
    add(7, 3, 20250301, F.IN_PERSON);
    // Same unit and procedure, February 2025 (sorts before March); same month, procedure 2 (sorts before 3).
    add(7, 3, 20250228, F.ONLINE);
    add(7, 2, 20250310, F.IN_PERSON | F.FEE);
    // The largest int4 ids (no key space to pack them into).
    add(2147483647, 2147483647, 20850430, F.ONLINE | F.RESOLVED_ON_TIME);
    // Unit 1 sorts first.
    add(1, 999, 20000101, F.IN_PERSON);
    expect(counts.groups).toBe(5);

    const back = await db.sql.transaction(async (tx) => {
      await copyGroups(tx, counts, [0, 2, 5]);
      return tx.query<{ r: string }>(`SELECT concat_ws(' ', to_char(month, 'YYYY-MM-DD'), unit_id, procedure_id, ${COUNTED.join(', ')}) AS r FROM counted ORDER BY seq`);
    });
    // month unit procedure | received online postal on-time late fee paid-online synced
    expect(back.map((x) => x.r)).toEqual([
      '2000-01-01 1 999 1 0 0 0 0 0 0 0',
      '2025-02-01 7 3 1 1 0 0 0 0 0 0',
      '2025-03-01 7 2 1 0 0 0 0 1 0 0',
      '2025-03-01 7 3 4 1 1 1 1 1 1 1',
      '2085-04-01 2147483647 2147483647 1 1 0 1 0 0 0 0',
    ]);
  });

  it('equals the SQL recount of the same dossiers, across many growths of its table', async () => {
    // 60,000 dossiers over about 20,000 groups (the table doubles a few times), with every flag
    // combination; a seeded generator, so a failure repeats.
    let seed = 11;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const counts = new MonthlyCounts();
    const dossiers = new BinaryCopyRows();
    let refused = 0;
    for (let i = 0; i < 60000; i++) {
      const unit = 1 + rand(40);
      const procedure = 100 + rand(50);
      const day = (2015 + rand(10)) * 10000 + (1 + rand(12)) * 100 + 1 + rand(28);
      const flags = 1 + rand(3) + (rand(2) << 2) + (rand(4) === 0 ? F.RESOLVED_LATE : 0) + (rand(2) << 4) + (rand(2) << 5) + (rand(2) << 6);
      if (!counts.add(unit, procedure, day, flags)) refused++;
      dossiers.row(5).text(`d${i}`).int4(unit).int4(procedure).monthOf(day).int2(flags);
    }
    expect(refused).toBe(0);
    expect(counts.groups).toBeGreaterThan(15000);
    const diff = await db.sql.transaction(async (tx) => {
      await copyGroups(tx, counts, [0, 5000, 10000, counts.groups]);
      await tx.query('CREATE TEMP TABLE d (code text, unit_id int, procedure_id int, month date, flags smallint) ON COMMIT DROP');
      await pipeline(Readable.from([dossiers.bytes()]), tx.client.query(copyFrom('COPY d (code, unit_id, procedure_id, month, flags) FROM STDIN (FORMAT binary)')));
      const [check] = await tx.query<{ groups: string; differ: string; misordered: string }>(
        `WITH sql AS (SELECT d.month, d.unit_id, d.procedure_id, ${countSql('d')} FROM d GROUP BY 1, 2, 3),
              js AS (SELECT month, unit_id, procedure_id, ${COUNTED.join(', ')} FROM counted)
         SELECT (SELECT count(*) FROM sql) AS groups,
                (SELECT count(*) FROM ((SELECT * FROM sql EXCEPT ALL SELECT * FROM js) UNION ALL (SELECT * FROM js EXCEPT ALL SELECT * FROM sql)) x) AS differ,
                (SELECT count(*) FROM (SELECT seq, row_number() OVER (ORDER BY unit_id, month, procedure_id) AS rn FROM counted) o WHERE o.seq <> o.rn) AS misordered`,
      );
      return check;
    });
    expect(diff).toEqual({ groups: String(counts.groups), differ: '0', misordered: '0' });
  });

  it('gives up past MAX_GROUPS, counting nothing more', () => {
    const counts = new MonthlyCounts();
    for (let g = 0; g < MAX_GROUPS; g++) counts.add(1 + (g % 1000), 1 + Math.floor(g / 1000), 20250101, F.IN_PERSON);
    expect(counts.groups).toBe(MAX_GROUPS);
    // A dossier of a group already counted still counts; a new group is refused.
    expect(counts.add(1, 1, 20250115, F.ONLINE)).toBe(true);
    expect(counts.add(1, 1, 20250201, F.ONLINE)).toBe(false);
    expect(counts.groups).toBe(MAX_GROUPS);
  });

  it('finds a group by unit, procedure and month, and writes fact rows with their top-level unit, source and run', async () => {
    const counts = new MonthlyCounts();
    counts.add(7, 3, 20250302, F.ONLINE);
    counts.add(7, 3, 20250331, F.IN_PERSON);
    counts.add(9, 3, 20250405, F.POSTAL);
    expect(counts.find(7, 3, 20250301)).toBe(0);
    expect(counts.find(9, 3, 20250401)).toBe(1);
    expect(counts.find(9, 3, 20250301)).toBe(-1);
    expect(counts.unitIds().sort()).toEqual([7, 9]);
    const rows = new BinaryCopyRows(16);
    // Unit 9 has no top-level unit known: NULL, which filing_stat refuses.
    counts.write(rows, counts.sorted(), 0, 2, { top: new Map([[7, 70]]), sourceId: 5, runId: 11 });
    await db.sql.transaction(async (tx) => {
      await tx.query(`CREATE TEMP TABLE facts (month date, unit_id int, procedure_id int, ${COUNTED.map((c) => `${c} int`).join(', ')}, l1_id int, source_id int, run_id int) ON COMMIT DROP`);
      await pipeline(Readable.from([rows.bytes()]), tx.client.query(copyFrom(`COPY facts FROM STDIN (FORMAT binary)`)));
      const got = await tx.query<{ r: string }>(`SELECT concat_ws(',', to_char(month, 'YYYY-MM'), unit_id, procedure_id, received, received_online, received_postal, coalesce(l1_id::text, 'null'), source_id, run_id) AS r FROM facts ORDER BY unit_id`);
      expect(got.map((g) => g.r)).toEqual(['2025-03,7,3,2,1,0,70,5,11', '2025-04,9,3,1,0,1,null,5,11']);
    });
  });

  it('sorts its groups by unit, month, procedure: by counting passes, or by comparison when an id range is too wide', () => {
    // Deterministic pseudo-random groups (a linear congruential sequence), many of them repeated.
    const sample = (unitSpread: number, n: number) => {
      const counts = new MonthlyCounts();
      let x = 12345;
      const next = (m: number) => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 1;
        return x % m;
      };
      for (let i = 0; i < n; i++) counts.add(1 + next(unitSpread), 1 + next(900), 20200101 + next(7) * 10000 + (1 + next(12)) * 100 + 1 + next(28), 1);
      return counts;
    };
    for (const counts of [sample(15_000, 40_000), sample(3_000_000, 5_000), new MonthlyCounts()]) {
      const order = counts.sorted();
      expect(order.length).toBe(counts.groups);
      expect(new Set(order).size).toBe(counts.groups);
      // Read back through write(): consecutive rows never go down in (unit, month, procedure).
      const rows = new BinaryCopyRows(16);
      counts.write(rows, order, 0, order.length);
      const b = rows.bytes();
      const keys: [number, number, number][] = [];
      for (let at = 19, i = 0; i < order.length; i++) {
        const month = b.readInt32BE(at + 6);
        const unit = b.readInt32BE(at + 14);
        const procedure = b.readInt32BE(at + 22);
        keys.push([unit, month, procedure]);
        at += 2 + 3 * 8 + COUNTED.length * 8;
      }
      const ascending = (a: number[], c: number[]) => a[0] < c[0] || (a[0] === c[0] && (a[1] < c[1] || (a[1] === c[1] && a[2] < c[2])));
      expect(keys.findIndex((k, i) => i > 0 && !ascending(keys[i - 1], k))).toBe(-1);
    }
  });
});
