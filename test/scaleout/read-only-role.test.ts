import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { DataVersion } from '../../src/cache/data-version';
import { Database } from '../../src/db/database';
import { Sql } from '../../src/db/sql';
import { createTestDatabase } from '../support/harness';

/**
 * The read-only role of docs/operations.md (issue 12, item 4), from deploy/read-only-role.sql as
 * an operator runs it: on a migrated database, the role reads every table (those created later
 * by a migration too) and every write is refused by privilege.
 */
const SCRIPT = path.join(__dirname, '../../deploy/read-only-role.sql');

let db: Database;
let role: string;
let reader: Client;
let readerUrl: string;
const password = crypto.randomBytes(12).toString('base64url');

/** Runs `sql` as the reader and returns the SQLSTATE it failed with (undefined when it did not fail). */
async function refusal(sql: string): Promise<string | undefined> {
  try {
    await reader.query(sql);
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  // Roles are cluster-wide and test files share the cluster: a name of its own for this file.
  role = `dvc_reader_${crypto.randomBytes(4).toString('hex')}`;
  const script = fs.readFileSync(SCRIPT, 'utf8').replace(/\bdvc_reader\b/g, role);
  // As the owner of the tables (the test cluster's postgres), as the script says.
  await db.sql.query(script);
  await db.sql.query(`ALTER ROLE ${role} PASSWORD '${password}'`);
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  readerUrl = url.toString();
  reader = new Client({ connectionString: readerUrl });
  await reader.connect();
});

afterAll(async () => {
  await reader?.end();
  if (role) {
    // The grants and default privileges live in this database: drop them, then the role.
    await db.sql.query(`DROP OWNED BY ${role}`);
    await db.sql.query(`DROP ROLE ${role}`);
  }
  await db?.close();
});

const tablesOf = async () =>
  (await db.sql.query<{ t: string }>(
    `SELECT c.relname AS t FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`,
  )).map((r) => r.t);

describe('the read-only role (deploy/read-only-role.sql)', () => {
  it('reads every table, and what the gateway reads: the data version, units with names at a date, rollups', async () => {
    const tables = await tablesOf();
    expect(tables.length).toBeGreaterThan(20);
    for (const t of tables) {
      await expect(reader.query(`SELECT count(*) FROM "${t}"`)).resolves.toBeDefined();
    }
    // The gateway's own version read, on a pool of the role.
    const pool = new Pool({ connectionString: readerUrl, max: 1 });
    try {
      const version = await new DataVersion(new Sql(pool)).readNow();
      expect(BigInt(version.version)).toBeGreaterThanOrEqual(0n);
    } finally {
      await pool.end();
    }
    const { rows } = await reader.query(
      `SELECT u.code, unit_name_at(u.id, date '2024-06-30') AS name, m.l1_id
       FROM unit u JOIN unit_map m ON m.unit_id = u.id WHERE u.code = '46' AND u.valid_to IS NULL`,
    );
    // Huế: the province's name before 2025 (unit_name), read through the role.
    expect(rows).toEqual([{ code: '46', name: 'Tỉnh Thừa Thiên Huế', l1_id: expect.any(Number) }]);
    await expect(reader.query(`SELECT month, sum(received) FROM filing_rollup_l1 GROUP BY 1`)).resolves.toBeDefined();
  });

  it('is refused every write by privilege (42501), whatever the table', async () => {
    const before = await new DataVersion(db.sql).readNow();
    for (const t of await tablesOf()) {
      expect([t, await refusal(`INSERT INTO "${t}" DEFAULT VALUES`)]).toEqual([t, '42501']);
      expect([t, await refusal(`DELETE FROM "${t}" WHERE false`)]).toEqual([t, '42501']);
      expect([t, await refusal(`TRUNCATE "${t}"`)]).toEqual([t, '42501']);
    }
    expect(await refusal(`UPDATE unit SET name = name WHERE false`)).toBe('42501');
    expect(await refusal(`CREATE TABLE reader_scratch (x int)`)).toBe('42501');
    expect(await refusal(`SELECT nextval('unit_id_seq')`)).toBe('42501');
    // A function that writes fails on the table it writes.
    expect(await refusal(`SELECT refresh_unit_map()`)).toBe('42501');
    // Nothing was written: the owner reads the same data version before and after.
    expect((await new DataVersion(db.sql).readNow()).version).toBe(before.version);
  });

  it('reads a table a later migration creates, without new grants (default privileges)', async () => {
    await db.sql.query(`CREATE TABLE later_table (id int primary key)`);
    await db.sql.query(`INSERT INTO later_table VALUES (1)`);
    const { rows } = await reader.query(`SELECT id FROM later_table`);
    expect(rows).toEqual([{ id: 1 }]);
    expect(await refusal(`INSERT INTO later_table VALUES (2)`)).toBe('42501');
  });
});
