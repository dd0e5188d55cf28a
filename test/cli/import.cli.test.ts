import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database } from '../../src/db/database';
import { createTestDatabase, factCounts } from '../support/harness';

const root = path.join(__dirname, '../..');
let db: Database;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db?.close());

/** Runs a compiled CLI (built by `npm test`'s pretest) against the test database. */
function cli(script: string, args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, [path.join(root, 'dist/src', script), ...args], {
    env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent', ...env },
    encoding: 'utf8',
    // A CLI that read a FIFO or a 2 GB file before checking it would hang or take long: it must not.
    timeout: 30_000,
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-'));
const FILING_HEADER = 'unit,procedure,month,received,receivedOnline\n';

describe('npm run import', () => {
  it('imports the example CSV files in order and the JSON batch, idempotently', async () => {
    for (const f of ['sectors.csv', 'procedures.csv', 'services.csv', 'filings.csv', 'plans.csv']) {
      const r = cli('ingest/import.cli.js', [path.join(root, 'examples', f)]);
      expect({ f, code: r.code, err: r.err }).toEqual({ f, code: 0, err: '' });
    }
    const counts = await factCounts(db);
    expect(counts).toMatchObject({ sector: 2, procedure: 2, service: 2, service_level: 3, filing_stat: 2, plan: 1 });
    const [row] = await db.sql.query(`SELECT received, received_online, received_postal, paid_online FROM filing_stat f JOIN unit u ON u.id = f.unit_id WHERE u.code = '72'`);
    expect(row).toEqual({ received: 120, received_online: 80, received_postal: 5, paid_online: 12 });

    const json = cli('ingest/import.cli.js', [path.join(root, 'examples/batch.json')]);
    expect(json.code).toBe(0);
    expect(json.out).toMatch(/filings: 1 new, 0 changed/);
    const again = cli('ingest/import.cli.js', [path.join(root, 'examples/batch.json')]);
    expect(again.out).toMatch(/wrote 0/);
  });

  it('prints every problem of a bad file, exits 1 and writes nothing', async () => {
    const before = await factCounts(db);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-')), 'bad.csv');
    fs.writeFileSync(file, '\uFEFFunit,procedure,month,received,receivedOnline\n72,1.001193,2021-02,10,11\n72,1.001193,2021-03,x,1\n99,1.001193,2021-04,1,1\n');
    const r = cli('ingest/import.cli.js', [file]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nothing was written');
    expect(r.err).toContain('filings[0].receivedOnline: 11 online is more than 10 received');
    expect(r.err).toContain('filings[1].received: must be a whole number, got "x"');
    expect(await factCounts(db)).toEqual(before);
  });

  it('says what is wrong with an unreadable file and exits 2', () => {
    const r = cli('ingest/import.cli.js', ['/nonexistent/batch.json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot read \/nonexistent\/batch.json/);
  });
});

describe('npm run import: files checked before reading, streamed, database errors in one line', () => {
  it('refuses a file by its extension before reading it (a FIFO named .txt would block a read)', () => {
    const dir = tmpDir();
    const fifo = path.join(dir, 'batch.txt');
    spawnSync('mkfifo', [fifo]);
    const r = cli('ingest/import.cli.js', [fifo]);
    expect(r).toMatchObject({ code: 2, out: '' });
    expect(r.err).toBe(`${fifo}: expected a .json or .csv file\n`);
    const pipe = path.join(dir, 'batch.json');
    spawnSync('mkfifo', [pipe]);
    expect(cli('ingest/import.cli.js', [pipe]).err).toBe(`cannot read ${pipe}: not a regular file\n`);
  });

  it('refuses a file over MAX_INGEST_BYTES from its size: a 2 GB file at once, and the cap follows MAX_BATCH_ROWS', () => {
    const big = path.join(tmpDir(), 'big.json');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 2 * 1024 ** 3); // sparse: 2 GB of size, no disk used
    // Refused from its size, not after reading: read, its 2 GB of NUL bytes would be refused as
    // JSON with another message. (No timing: a loaded CI machine once took 10.7 s for this CLI run.)
    const r = cli('ingest/import.cli.js', [big]);
    // The default cap: 200,000 rows × 320 bytes.
    expect(r).toMatchObject({ code: 2, err: `${big} is 2,147,483,648 bytes, more than the 64,000,000 bytes a batch file may take (MAX_INGEST_BYTES): split it\n` });
    const csv = path.join(tmpDir(), 'filings.csv');
    fs.writeFileSync(csv, FILING_HEADER + '72,1.001193,2021-02,10,1\n'.repeat(200)); // header 45 + 200 rows × 25 = 5,045 bytes
    // MAX_BATCH_ROWS=10 derives MAX_INGEST_BYTES = 10 × 320 = 3,200.
    expect(cli('ingest/import.cli.js', [csv], { MAX_BATCH_ROWS: '10' }).err).toBe(`${csv} is 5,045 bytes, more than the 3,200 bytes a batch file may take (MAX_INGEST_BYTES): split it\n`);
  });

  it('streams a large CSV in chunks: row numbers count across chunks, and 12,000 rows go in whole', async () => {
    for (const f of ['sectors.csv', 'procedures.csv']) expect(cli('ingest/import.cli.js', [path.join(root, 'examples', f)]).code).toBe(0);
    // 500 communes that existed from 2022 to 2024 (before the 2025 reform), 24 months each: 12,000 distinct keys.
    const communes = await db.sql.query<{ code: string }>(
      `SELECT code FROM unit WHERE kind = 'commune' AND (valid_from IS NULL OR valid_from <= '2022-01-01') AND valid_to = '2025-06-30' ORDER BY code LIMIT 500`,
    );
    expect(communes).toHaveLength(500);
    const months = Array.from({ length: 24 }, (_, i) => `${2022 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}`);
    const rows = communes.flatMap((c) => months.map((m) => `${c.code},1.001193,${m},10,4`));
    const dir = tmpDir();
    const bad = path.join(dir, 'bad.csv');
    // Row 11,000 is in the third chunk of 5,000.
    fs.writeFileSync(bad, FILING_HEADER + rows.map((r, i) => (i === 11_000 ? r.replace(/,10,4$/, ',10,11') : r)).join('\n') + '\n');
    const before = await factCounts(db);
    const rejected = cli('ingest/import.cli.js', [bad]);
    expect(rejected.code).toBe(1);
    expect(rejected.err).toContain('filings[11000].receivedOnline: 11 online is more than 10 received');
    expect(await factCounts(db)).toEqual(before);
    const [run] = await db.sql.query(`SELECT kind, status, rows_read, rows_rejected FROM ingest_run ORDER BY id DESC LIMIT 1`);
    expect(run).toEqual({ kind: 'import', status: 'rejected', rows_read: 12_000, rows_rejected: 1 });

    const good = path.join(dir, 'good.csv');
    fs.writeFileSync(good, FILING_HEADER + rows.join('\n') + '\n');
    const ok = cli('ingest/import.cli.js', [good]);
    expect({ code: ok.code, err: ok.err }).toEqual({ code: 0, err: '' });
    expect(ok.out).toContain('read 12000 rows, wrote 12000');
    expect((await factCounts(db)).filing_stat).toBe(before.filing_stat + 12_000);
  });

  it('refuses more rows than MAX_BATCH_ROWS while streaming', () => {
    const csv = path.join(tmpDir(), 'filings.csv');
    fs.writeFileSync(csv, FILING_HEADER + Array.from({ length: 11 }, (_, i) => `72,1.001193,2020-${String(i + 1).padStart(2, '0')},10,1\n`).join(''));
    const r = cli('ingest/import.cli.js', [csv], { MAX_BATCH_ROWS: '10', MAX_INGEST_BYTES: '100000' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('batch: has more than 10 rows, the limit: split it');
  });

  it('refuses bad values in files: future months, years out of range, control characters, an empty file', async () => {
    const before = await factCounts(db);
    const dir = tmpDir();
    const csv = path.join(dir, 'filings.csv');
    fs.writeFileSync(csv, FILING_HEADER + '72,1.001193,0000-01,10,1\n72\u0000,1.001193,2021-03,10,1\n80,1.001193,2099-01,10,1\n');
    const r = cli('ingest/import.cli.js', [csv]);
    expect(r.code).toBe(1);
    expect(r.err.split('\n').slice(1, 4)).toEqual([
      '  filings[0].month: year 0 is outside 1945..2100',
      '  filings[1].unit: contains the control character U+0000 at position 2 (only tab, line feed and carriage return are allowed)',
      '  filings[2].month: month 2099-01 has not ended yet (it is after the current month in Asia/Ho_Chi_Minh)',
    ]);
    const json = path.join(dir, 'batch.json');
    fs.writeFileSync(json, JSON.stringify({ filings: [{ unit: '80', procedure: '1.001193', month: '2030-01', received: 1, receivedOnline: 1 }], plans: [{ unit: '80', year: 2026, title: 'x\u001b[2J' }] }));
    const j = cli('ingest/import.cli.js', [json]);
    expect(j.code).toBe(1);
    expect(j.err).toContain('filings[0].month: month 2030-01 has not ended yet');
    expect(j.err).toContain('plans[0].title: contains the control character U+001B at position 1');
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, FILING_HEADER);
    expect(cli('ingest/import.cli.js', [empty]).err).toContain('batch: is empty: no rows in any section');
    expect(await factCounts(db)).toEqual(before);
  });

  it('says a malformed CSV is not valid CSV (exit 2) and records the failed run under the file name, not its path', async () => {
    const dir = tmpDir();
    const csv = path.join(dir, 'broken.csv');
    fs.writeFileSync(csv, FILING_HEADER + '72,1.001193,2021-02,10,1\n"72,1.001193,2021-03,10,1\n');
    const r = cli('ingest/import.cli.js', [csv]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^${csv.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid CSV: .+\n$`));
    const [run] = await db.sql.query<{ status: string; error: string }>(`SELECT status, error FROM ingest_run ORDER BY id DESC LIMIT 1`);
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^broken\.csv is not valid CSV: /);
    expect(run.error).not.toContain(dir);
  });

  it('turns database errors into one line and exit 2, never a stack', () => {
    const file = path.join(root, 'examples/batch.json');
    const refused = cli('ingest/import.cli.js', [file], { DATABASE_URL: 'postgres://nobody:secret@127.0.0.1:1/dvc' });
    expect(refused).toMatchObject({ code: 2, out: '' });
    expect(refused.err).toMatch(/^cannot use the database: .*ECONNREFUSED.* \(check DATABASE_URL, or that PostgreSQL is running\)\n$/);
    // The test server answers, but knows no such role: refused at login (SQLSTATE 28000).
    const url = new URL(db.url);
    url.username = 'no_such_role';
    const refusedLogin = cli('ingest/import.cli.js', [path.join(root, 'examples/filings.csv')], { DATABASE_URL: url.toString() });
    expect(refusedLogin).toMatchObject({ code: 2, out: '' });
    expect(refusedLogin.err).toMatch(/^cannot use the database: .*no_such_role.* \(check DATABASE_URL, or that PostgreSQL is running\)\n$/);
  });
});

describe('npm run api-key', () => {
  it('creates a key shown once, lists it without its secret, and revokes it', async () => {
    const created = cli('auth/api-key.cli.js', ['create', 'hcm-lgsp', '--units', '79']);
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^dvc_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const [stored] = await db.sql.query<{ secret_hash: string }>(`SELECT secret_hash FROM api_key WHERE name = 'hcm-lgsp'`);
    // The secret is what follows the prefix's second underscore; base64url may itself hold '_'
    // (CI once drew a secret starting with one: split('_')[2] was '' and the check failed).
    const secret = key.slice('dvc_'.length + 13);
    expect(secret).toHaveLength(43);
    expect(stored.secret_hash).not.toContain(secret);
    const list = cli('auth/api-key.cli.js', ['list']);
    expect(list.out).toMatch(/^hcm-lgsp\tdvc_[0-9a-f]{12}_…\t79\tactive$/m);
    expect(list.out).not.toContain(key);
    expect(cli('auth/api-key.cli.js', ['create', 'bad', '--units', 'XX']).err).toContain('unknown unit code(s) XX');
    expect(cli('auth/api-key.cli.js', ['revoke', 'hcm-lgsp']).code).toBe(0);
    expect(cli('auth/api-key.cli.js', ['list']).out).toMatch(/hcm-lgsp.*revoked/);
  });
});
