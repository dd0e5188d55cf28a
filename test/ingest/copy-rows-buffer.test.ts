import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { Database } from '../../src/db/database';
import { CopyRowsBuffer } from '../../src/ingest/copy-rows.buffer';
import { createTestDatabase } from '../support/harness';

/**
 * The dossier stage writes its COPY rows as bytes (CopyRowsBuffer): what PostgreSQL reads back
 * must be exactly the values written, escapes and text beyond ASCII included.
 */
describe('COPY rows written as bytes', () => {
  let db: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  it('reads back every value as written, across a buffer that grows', async () => {
    const codes = ['01-2401-0001-00001', 'tab\there', 'back\\slash', 'line\nfeed', 'cr\rhere', 'Hồ sơ số 7 \\ ổn\t', '', 'x'.repeat(64)];
    const ints = [0, 7, 10, 99, 100, 123456, 2147483647];
    const days = [20240131, 20251201, 19991015];
    const rows = new CopyRowsBuffer(16); // tiny: grows many times
    const expected: [string, number, string, string, number, string, string | null][] = [];
    for (let k = 0; k < 300; k++) {
      const code = `${codes[k % codes.length]}${k}`;
      const n = ints[k % ints.length];
      const day = days[k % days.length];
      const modified = `${day}083000`;
      const due = k % 3 === 0 ? null : days[(k + 1) % days.length];
      rows.text(code).tab().int(n).tab().monthOf(day).tab().ascii(modified).tab().int(k).tab().day(day).tab().dayOrNull(due).end();
      const d = String(day);
      const dd = due === null ? null : String(due);
      expected.push([code, n, `${d.slice(0, 4)}-${d.slice(4, 6)}-01`, modified, k, `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`, dd && `${dd.slice(0, 4)}-${dd.slice(4, 6)}-${dd.slice(6)}`]);
    }
    expect(rows.rows).toBe(300);
    await db.sql.transaction(async (tx) => {
      await tx.query('CREATE TEMP TABLE copy_rows_check (code text, n int, month date, modified bigint, k int, day date, due date) ON COMMIT DROP');
      await pipeline(Readable.from([rows.bytes()]), tx.client.query(copyFrom('COPY copy_rows_check (code, n, month, modified, k, day, due) FROM STDIN')));
      const back = await tx.query<{ code: string; n: number; month: string; modified: string; k: number; day: string; due: string | null }>(
        `SELECT code, n, to_char(month, 'YYYY-MM-DD') AS month, modified::text, k, to_char(day, 'YYYY-MM-DD') AS day, to_char(due, 'YYYY-MM-DD') AS due FROM copy_rows_check ORDER BY k`,
      );
      expect(back.map((r) => [r.code, r.n, r.month, r.modified, r.k, r.day, r.due])).toEqual(expected);
      expect(back.filter((r) => r.due === null)).toHaveLength(100);
    });
    rows.clear();
    expect(rows.length).toBe(0);
    expect(rows.rows).toBe(0);
  });
});
