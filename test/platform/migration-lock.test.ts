import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { MIGRATION_LOCK } from '../../src/db/database';
import { GatewayProcess, waitFor } from '../resilience/gateway-process';
import { clientOf, createDatabase } from './shared-database';

/**
 * Migrations when several processes start at once (issue 12): three compiled gateways
 * (GATEWAY_ROLE=api, child processes) started together on an EMPTY database. The test holds the
 * migration lock itself until all three are queued behind it, so that the three meet at the
 * lock every time (not only when the scheduler happens to start them together); then it lets go.
 * One applies every migration; the other two wait for it, then find none pending.
 */
const MIGRATIONS = fs.readdirSync(path.join(__dirname, '../../migrations')).filter((f) => /^Migration.*\.ts$/.test(f) && !f.endsWith('.d.ts'));

let url: string;
let db: Client;
let gateways: GatewayProcess[] = [];

beforeAll(async () => {
  url = await createDatabase('empty');
  db = await clientOf(url);
}, 30_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await db?.end();
}, 60_000);

it('three processes started at once on an empty database: one applies the migrations, the others wait and find none pending', async () => {
  await db.query(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
  const env = { DATABASE_URL: url, GATEWAY_ROLE: 'api', DB_POOL_SIZE: '3', SOURCES_FILE: '', SIMULATOR_URL: '' };
  const starting = GatewayProcess.startAll([env, env, env], { timeoutMs: 600_000 });
  const { datname } = (await db.query<{ datname: string }>('SELECT current_database() AS datname')).rows[0];
  // All three queued behind the test's lock.
  await waitFor('three processes waiting for the migration lock', async () => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = $1`,
      [datname],
    );
    return rows[0].n === 3;
  }, 300_000, 100);
  await db.query(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
  gateways = await starting;

  // Every migration applied once.
  const { rows } = await db.query<{ name: string }>('SELECT name FROM mikro_orm_migrations ORDER BY name');
  expect(rows.map((r) => r.name)).toEqual(MIGRATIONS.map((f) => f.replace(/\.ts$/, '')).sort());
  // One process applied them all, the two others waited and found none pending; each waited first (behind the test).
  const lines = gateways.map((g) => g.logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string; applied?: number })
    .filter((l) => /migration/.test(l.msg)));
  for (const l of lines) expect(l[0].msg).toBe('another process is applying the migrations: waiting for it');
  const outcomes = lines.map((l) => l.find((x) => x.applied !== undefined)!);
  const appliers = outcomes.filter((o) => o.applied! > 0);
  expect(appliers).toEqual([expect.objectContaining({ applied: MIGRATIONS.length, msg: `applied ${MIGRATIONS.length} migration(s)` })]);
  expect(outcomes.filter((o) => o.applied === 0)).toEqual([
    expect.objectContaining({ msg: 'no migration pending' }),
    expect.objectContaining({ msg: 'no migration pending' }),
  ]);
  // All three serve.
  for (const g of gateways) expect((await g.gql('{ units(first: 1) { totalCount } }')).body.data.units.totalCount).toBeGreaterThan(0);
}, 700_000);
