import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyService } from '../../src/auth/api-key.service';
import { Database } from '../../src/db/database';
import { createLogger } from '../../src/server/logger';
import { RunningSimulator, startSimulator } from '../../src/simulator';
import { applyRegistry, parseRegistry, resolveSources } from '../../src/sources/source-registry.service';
import { SyncService } from '../../src/sync/sync.service';
import { createTestDatabase } from '../support/harness';
import { entry, EntrySpec, feedTruth, GroupCounts, serve, Served } from './helpers';

/**
 * One pipeline (issue 9): the same facts, the monthly filing statistics of province 80 (old
 * Long An until June 2025, the new Tây Ninh after), fed through each way in (an integrator push
 * over GraphQL, a CSV file import through the CLI, the national portal's API, the provincial
 * dossier feed, the provincial statistics export), each into its own database, read back
 * identical: the same rows by codes and values; then, one stored figure made to differ from what
 * the sources say and everything sent again, the same single 'corrected' revision keeping the
 * same old value, and the same counts of inserted, updated, corrected and outranked facts in each run.
 *
 * The export has no "synced to DVCQG" column (its registry entry keeps that value as other
 * sources said it; alone, a new fact gets 0): its rows are compared without it.
 */
const PATHS = ['push', 'import', 'dvcqg', 'dossier_feed', 'stats_export'] as const;
type Path = (typeof PATHS)[number];

/** The connector sources of each database: the catalogue (procedures the facts name) and, for a connector path, its source. */
const SPECS: Record<Path, EntrySpec[]> = {
  push: [],
  import: [],
  dvcqg: [{ code: 'dvcqg-80', kind: 'dvcqg' as never, units: ['80'], options: { parts: ['filings'] } }],
  dossier_feed: [{ code: 'igate-80', kind: 'dossier_feed' as never, baseUrl: '${SIMULATOR_URL}/igate/80', units: ['80'] }],
  stats_export: [{ code: 'export-80', kind: 'stats_export' as never, baseUrl: '${SIMULATOR_URL}/export/80', units: ['80'] }],
};
const CATALOGUE: EntrySpec = { code: 'catalogue', kind: 'dvcqg' as never, precedence: 900, options: { parts: ['catalogue'] } };

interface World {
  db: Database;
  sync: SyncService;
}

type Counts = { inserted: number; updated: number; corrected: number; outranked: number };

const root = path.join(__dirname, '../..');

describe('one pipeline: the same facts through push, import and each connector', () => {
  let sim: RunningSimulator;
  const worlds = {} as Record<Path, World>;
  let api: Served;
  let key: string;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    for (const p of PATHS) {
      const db = await createTestDatabase();
      const sources = resolveSources(parseRegistry({ sources: [CATALOGUE, ...SPECS[p]].map(entry) }), { SIMULATOR_URL: sim.url }, {});
      await applyRegistry(db.sql, sources);
      const sync = new SyncService(db.sql, sources, createLogger('silent'), {});
      expect((await sync.sync('catalogue')).status).toBe('succeeded');
      worlds[p] = { db, sync };
    }
    api = await serve(worlds.push.db);
    key = (await new ApiKeyService(worlds.push.db.sql).create({ name: 'province-80', unitCodes: ['80'] })).key;
  }, 180_000);
  afterAll(async () => {
    await api?.close();
    for (const w of Object.values(worlds)) await w.db.close();
    await sim?.close();
  });

  /** The feed's monthly statistics as interchange filing rows. */
  const truthRows = async () =>
    [...(await feedTruth(sim, '80'))].map(([k, c]: [string, GroupCounts]) => {
      const [unit, procedure, month] = k.split('|');
      return { unit, procedure, month, received: c[0], receivedOnline: c[1], receivedPostal: c[2], resolvedOnTime: c[3], resolvedLate: c[4], withFee: c[5], paidOnline: c[6], syncedNational: c[7] };
    });

  /** Sends the facts one way; returns the run's filing counts. */
  async function send(p: Path): Promise<Counts> {
    const db = worlds[p].db;
    if (p === 'push') {
      const res = await api.gql(
        `mutation ($batch: IngestBatchInput!) { ingest(batch: $batch) { filings { inserted updated corrected outranked } } }`,
        { batch: { filings: await truthRows() } },
        key,
      );
      expect(res.errors).toBeUndefined();
      return res.data.ingest.filings;
    }
    if (p === 'import') {
      const rows = await truthRows();
      const columns = Object.keys(rows[0]) as (keyof (typeof rows)[number])[];
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-one-')), 'filings.csv');
      fs.writeFileSync(file, [columns.join(','), ...rows.map((r) => columns.map((c) => r[c]).join(','))].join('\n') + '\n');
      const r = spawnSync(process.execPath, [path.join(root, 'dist/src/ingest/import.cli.js'), file], {
        env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent', MAX_BATCH_ROWS: '1000000' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect({ code: r.status, err: r.stderr }).toEqual({ code: 0, err: '' });
      return lastRunCounts(db);
    }
    const code = SPECS[p][0].code;
    const outcome = await worlds[p].sync.sync(code, { full: true });
    expect(outcome.error).toBeUndefined();
    return lastRunCounts(db);
  }

  async function lastRunCounts(db: Database): Promise<Counts> {
    const [run] = await db.sql.query<{ detail: { facts: { filings: Counts } } }>(`SELECT detail FROM ingest_run WHERE status = 'succeeded' ORDER BY id DESC LIMIT 1`);
    return run.detail.facts.filings;
  }

  /** Every filing fact, by codes (the unit's code and first day name its version); `synced`: with the synced column. */
  async function facts(p: Path, synced: boolean): Promise<string[]> {
    const rows = await worlds[p].db.sql.query<{ r: string }>(
      `SELECT concat_ws('|', u.code, u.valid_from, pr.code, to_char(f.month, 'YYYY-MM'), f.received, f.received_online, f.received_postal,
                f.resolved_on_time, f.resolved_late, f.with_fee, f.paid_online, ${synced ? 'f.synced_national' : "'-'"}) AS r
       FROM filing_stat f JOIN unit u ON u.id = f.unit_id JOIN procedure pr ON pr.id = f.procedure_id ORDER BY 1`,
    );
    return rows.map((x) => x.r);
  }

  /** Every revision, by codes: reason, fact, and the value it kept. */
  async function revisions(p: Path, synced: boolean): Promise<string[]> {
    const rows = await worlds[p].db.sql.query<{ r: string }>(
      `SELECT concat_ws('|', r.fact_type, r.reason, u.code, u.valid_from, pr.code, r.fact_key->>'month', r.value - CASE WHEN $1 THEN '' ELSE 'syncedNational' END) AS r
       FROM fact_revision r JOIN unit u ON u.id = (r.fact_key->>'unitId')::int JOIN procedure pr ON pr.id = (r.fact_key->>'procedureId')::int ORDER BY 1`,
      [synced],
    );
    return rows.map((x) => x.r);
  }

  it('writes the same rows whichever way they come in, and the same revision when they correct a figure', async () => {
    const first = {} as Record<Path, Counts>;
    for (const p of PATHS) first[p] = await send(p);
    const rows = (await truthRows()).length;
    expect(rows).toBeGreaterThan(1000);
    for (const p of PATHS) expect({ p, counts: first[p] }).toEqual({ p, counts: { inserted: rows, updated: 0, corrected: 0, outranked: 0 } });

    const reference = await facts('push', true);
    expect(reference).toHaveLength(rows);
    for (const p of PATHS) {
      if (p === 'stats_export') expect(await facts(p, false)).toEqual(await facts('push', false));
      else expect({ p, same: await facts(p, true) }).toEqual({ p, same: reference });
    }

    // One figure stored differently from what the source now says (as if it had said one online
    // dossier less before): sending the same facts again corrects it, and keeps the old value.
    const [fact] = await worlds.push.db.sql.query<{ unit: string; from: string | null; procedure: string; month: string }>(
      `SELECT u.code AS unit, u.valid_from::text AS from, p.code AS procedure, f.month::text AS month
       FROM filing_stat f JOIN unit u ON u.id = f.unit_id JOIN procedure p ON p.id = f.procedure_id
       WHERE f.received_online > 0 ORDER BY f.month, u.code, p.code LIMIT 1`,
    );
    for (const p of PATHS) {
      const changed = await worlds[p].db.sql.query(
        `UPDATE filing_stat f SET received_online = received_online - 1 FROM unit u, procedure p
         WHERE u.id = f.unit_id AND p.id = f.procedure_id AND u.code = $1 AND u.valid_from IS NOT DISTINCT FROM $2::date AND p.code = $3 AND f.month = $4::date RETURNING f.unit_id`,
        [fact.unit, fact.from, fact.procedure, fact.month],
      );
      expect({ p, changed: changed.length }).toEqual({ p, changed: 1 });
    }
    const second = {} as Record<Path, Counts>;
    for (const p of PATHS) second[p] = await send(p);
    for (const p of PATHS) expect({ p, counts: second[p] }).toEqual({ p, counts: { inserted: 0, updated: 1, corrected: 1, outranked: 0 } });

    expect(await facts('push', true)).toEqual(reference);
    const revision = await revisions('push', true);
    expect(revision).toHaveLength(1);
    expect(revision[0]).toMatch(new RegExp(`^filing_stat\\|corrected\\|${fact.unit}\\|`));
    for (const p of PATHS) {
      if (p === 'stats_export') {
        expect(await facts(p, false)).toEqual(await facts('push', false));
        expect(await revisions(p, false)).toEqual(await revisions('push', false));
      } else {
        expect({ p, same: await facts(p, true) }).toEqual({ p, same: reference });
        expect({ p, same: await revisions(p, true) }).toEqual({ p, same: revision });
      }
    }
  });
});
