import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { Database } from '../../src/db/database';
import { BinaryCopyRows, pgDate } from '../../src/ingest/binary-copy.rows';
import { createTestDatabase } from '../support/harness';

/**
 * The dossier stage writes its COPY rows in PostgreSQL's binary format (BinaryCopyRows): what the
 * server reads back must be exactly the values written, text beyond ASCII, NULLs and every
 * calendar day included.
 */
describe('binary COPY rows', () => {
  let db: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.close());

  const copy = async (rows: BinaryCopyRows, table: string, columns: string) => {
    await db.sql.transaction(async (tx) => {
      await pipeline(Readable.from([rows.bytes()]), tx.client.query(copyFrom(`COPY ${table} (${columns}) FROM STDIN (FORMAT binary)`)));
    });
  };

  it('reads back every value as written, across a buffer that grows', async () => {
    // Binary text needs no escapes: a tab, a backslash, a line feed are bytes like any other.
    const codes = ['01-2401-0001-00001', 'tab\there', 'back\\slash', 'line\nfeed', 'cr\rhere', 'Hồ sơ số 7 \\ ổn\t', '', 'x'.repeat(64)];
    const ints = [0, 7, 10, 99, 100, 123456, 2147483647, -1, -2147483648];
    const smalls = [0, 1, 127, 255, 256, 32767, -1, -32768];
    // int8 values: NgayCapNhat numbers, and around 2^32 where the high word starts.
    const bigs = [20240131083000, 19991015000000, 99991231235959, 4294967295, 4294967296, 0, Number.MAX_SAFE_INTEGER];
    const days = [20240131, 20240229, 20251201, 19991231, 20000101, 19000301];
    const rows = new BinaryCopyRows(16); // tiny: grows many times
    const expected: unknown[][] = [];
    const iso = (d: number) => `${String(d).slice(0, 4)}-${String(d).slice(4, 6)}-${String(d).slice(6)}`;
    for (let k = 0; k < 300; k++) {
      const code = `${codes[k % codes.length]}${k}`;
      const day = days[k % days.length];
      const due = k % 3 === 0 ? null : days[(k + 1) % days.length];
      // ASCII codes every other row as bytes of a page (asciiText), the rest as strings.
      const page = Buffer.from(`["${code}"]`, 'latin1');
      const withCode = /^[\x00-\x7f]*$/.test(code) && k % 2 === 1 ? rows.row(8).int4(k).asciiText(page, 2, 2 + code.length) : rows.row(8).int4(k).text(code);
      withCode.int4(ints[k % ints.length]).int2(smalls[k % smalls.length]).int8(bigs[k % bigs.length]).monthOf(day).date(day).dateOrNull(due);
      expected.push([k, code, ints[k % ints.length], smalls[k % smalls.length], String(bigs[k % bigs.length]), `${iso(day).slice(0, 8)}01`, iso(day), due === null ? null : iso(due)]);
    }
    expect(rows.rows).toBe(300);
    await db.sql.query('CREATE TABLE binary_copy_check (k int, code varchar(80), n int, s smallint, big bigint, month date, day date, due date)');
    await copy(rows, 'binary_copy_check', 'k, code, n, s, big, month, day, due');
    const back = await db.sql.query<Record<string, unknown>>(
      `SELECT k, code, n, s, big::text AS big, to_char(month, 'YYYY-MM-DD') AS month, to_char(day, 'YYYY-MM-DD') AS day, to_char(due, 'YYYY-MM-DD') AS due FROM binary_copy_check ORDER BY k`,
    );
    expect(back.map((r) => [r.k, r.code, r.n, r.s, r.big, r.month, r.day, r.due])).toEqual(expected);
    expect(back.filter((r) => r.due === null)).toHaveLength(100);
    rows.clear();
    expect(rows.length).toBe(0);
    expect(rows.rows).toBe(0);
  });

  it('writes every calendar day from 1900 to 2100 as PostgreSQL counts it', async () => {
    // Each day's number against PostgreSQL's own date arithmetic: leap years (2000 is one, 1900
    // and 2100 are not), month ends, and the epoch 2000-01-01 itself.
    const rows = new BinaryCopyRows();
    let n = 0;
    const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    for (let y = 1900; y <= 2100; y++) {
      const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
      for (let m = 1; m <= 12; m++) {
        const last = monthDays[m - 1] + (m === 2 && leap ? 1 : 0);
        for (let d = 1; d <= last; d++) {
          rows.row(2).int4(n++).date(y * 10000 + m * 100 + d);
        }
      }
    }
    await db.sql.query('CREATE TABLE binary_day_check (n int, day date)');
    await copy(rows, 'binary_day_check', 'n, day');
    // Day n must be 1900-01-01 + n: every gap or repeat shows.
    const [check] = await db.sql.query<{ total: string; wrong: string; last: string }>(
      `SELECT count(*) AS total, count(*) FILTER (WHERE day <> DATE '1900-01-01' + n) AS wrong, max(day)::text AS last FROM binary_day_check`,
    );
    expect(check).toEqual({ total: String(n), wrong: '0', last: '2100-12-31' });
    expect(n).toBe(73414); // 201 years, 49 of them leap (1904..2096, without 1900 and 2100)
    expect(pgDate(20000101)).toBe(0);
    expect(pgDate(19991231)).toBe(-1);
  });
});
