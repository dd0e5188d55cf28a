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
function cli(script: string, args: string[]) {
  const res = spawnSync(process.execPath, [path.join(root, 'dist/src', script), ...args], {
    env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' },
    encoding: 'utf8',
  });
  return { code: res.status, out: res.stdout, err: res.stderr };
}

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

describe('npm run api-key', () => {
  it('creates a key shown once, lists it without its secret, and revokes it', async () => {
    const created = cli('auth/api-key.cli.js', ['create', 'hcm-lgsp', '--units', '79']);
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^dvc_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const [stored] = await db.sql.query<{ secret_hash: string }>(`SELECT secret_hash FROM api_key WHERE name = 'hcm-lgsp'`);
    expect(stored.secret_hash).not.toContain(key.split('_')[2]);
    const list = cli('auth/api-key.cli.js', ['list']);
    expect(list.out).toMatch(/^hcm-lgsp\tdvc_[0-9a-f]{12}_…\t79\tactive$/m);
    expect(list.out).not.toContain(key);
    expect(cli('auth/api-key.cli.js', ['create', 'bad', '--units', 'XX']).err).toContain('unknown unit code(s) XX');
    expect(cli('auth/api-key.cli.js', ['revoke', 'hcm-lgsp']).code).toBe(0);
    expect(cli('auth/api-key.cli.js', ['list']).out).toMatch(/hcm-lgsp.*revoked/);
  });
});
