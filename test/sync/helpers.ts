import { loadConfig } from '../../src/config/config';
import { Database } from '../../src/db/database';
import { startApp } from '../../src/server/app';
import { createLogger } from '../../src/server/logger';
import { createSchema } from '../../src/server/schema';
import { ServiceRegistry } from '../../src/server/service.registry';
import { RunningSimulator, SimulatorOptions, startSimulator } from '../../src/simulator';
import type { DossierRecord } from '../../src/simulator/dossier.generator';
import { applyRegistry, parseRegistry, RegistryEntry, resolveSources, ResolvedSource } from '../../src/sources/source-registry.service';
import { SyncService } from '../../src/sync/sync.service';
import { createTestDatabase } from '../support/harness';

/** Fast failure handling for tests: short time limits, quick retries. */
export const FAST = { timeoutMs: 1500, retries: 2, retryBaseMs: 5, retryMaxMs: 50 };

export type EntrySpec = Partial<RegistryEntry> & Pick<RegistryEntry, 'code' | 'kind'>;

export function entry(spec: EntrySpec): Record<string, unknown> {
  const defaults: Record<string, Partial<RegistryEntry>> = {
    dvcqg: { baseUrl: '${SIMULATOR_URL}/dvcqg/api/v1', credentials: { token: 'DVCQG_TOKEN' }, precedence: 300, units: ['*'] },
    dossier_feed: { credentials: { clientId: 'IGATE_CLIENT_ID', clientSecret: 'IGATE_CLIENT_SECRET' }, precedence: 200 },
    stats_export: { credentials: {}, precedence: 150 },
  };
  return { name: spec.code, schedule: null, ...defaults[spec.kind], ...spec, options: { ...FAST, ...spec.options } };
}

export interface SyncWorld {
  db: Database;
  sim: RunningSimulator;
  sources: ResolvedSource[];
  sync: SyncService;
  stop(): Promise<void>;
}

/** A fresh database, the simulator on a free loopback port, the given sources applied. */
export async function syncWorld(specs: EntrySpec[], sim: SimulatorOptions = {}): Promise<SyncWorld> {
  const db = await createTestDatabase();
  const simulator = await startSimulator({ port: 0, ...sim });
  const sources = resolveSources(parseRegistry({ sources: specs.map(entry) }), { SIMULATOR_URL: simulator.url }, {});
  await applyRegistry(db.sql, sources);
  // Two runs at once (the test database's pool has four connections; each run may use two).
  const sync = new SyncService(db.sql, sources, createLogger('silent'), {}, { concurrency: 2 });
  return {
    db,
    sim: simulator,
    sources,
    sync,
    async stop() {
      await simulator.close();
      await db.close();
    },
  };
}

/** A digest of every fact value (and who wrote it): equal before and after means nothing changed. */
export async function factDigest(db: Database): Promise<string> {
  const [row] = await db.sql.query<{ d: string }>(
    `SELECT md5(concat_ws('|',
       (SELECT string_agg(concat_ws(',', month, unit_id, procedure_id, received, received_online, received_postal, resolved_on_time, resolved_late, with_fee, paid_online, synced_national, source_id, run_id), ';' ORDER BY month, unit_id, procedure_id) FROM filing_stat),
       (SELECT string_agg(concat_ws(',', service_id, valid_from, taxonomy, level, integrated_national, source_id, run_id), ';' ORDER BY service_id, valid_from) FROM service_level),
       (SELECT string_agg(concat_ws(',', unit_id, year, document_number, issued_on, due_on, source_id, run_id), ';' ORDER BY unit_id, year) FROM plan),
       (SELECT string_agg(concat_ws(',', fact_type, fact_key::text, reason, value::text, value_source_id), ';' ORDER BY id) FROM fact_revision))) AS d`,
  );
  return row.d;
}

export interface SourceRow {
  status: string | null;
  last_error: string | null;
  last_rows: number | null;
  consecutive_failures: number;
  sync_state: Record<string, unknown>;
  last_success_at: Date | null;
  last_attempt_at: Date | null;
  base_url: string;
}

export async function sourceRow(db: Database, code: string): Promise<SourceRow> {
  const [row] = await db.sql.query<SourceRow>(
    'SELECT status, last_error, last_rows, consecutive_failures, sync_state, last_success_at, last_attempt_at, base_url FROM source WHERE code = $1',
    [code],
  );
  return row;
}

/** Sum of a filing column over the units holding a province code (and their communes). */
export async function provinceTotal(db: Database, province: string, column = 'received'): Promise<number> {
  const [row] = await db.sql.query<{ n: string }>(
    `SELECT coalesce(sum(f.${column}), 0) AS n FROM filing_stat f JOIN unit u ON u.id = f.unit_id LEFT JOIN unit p ON p.id = u.parent_id
     WHERE u.code = $1 OR p.code = $1`,
    [province],
  );
  return Number(row.n);
}

export type GroupCounts = [received: number, online: number, postal: number, onTime: number, late: number, fee: number, paid: number, synced: number];

/** Every dossier a province's feed serves right now, drained over HTTP independently of the connector. */
export async function feedDossiers(sim: RunningSimulator, province: string): Promise<DossierRecord[]> {
  const tokenRes = await fetch(`${sim.url}/igate/${province}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'sim-client', client_secret: 'sim-secret' }),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const out: DossierRecord[] = [];
  let cursor: string | null = null;
  for (;;) {
    const res = await fetch(`${sim.url}/igate/${province}/api/dossiers?size=5000${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    const page = (await res.json()) as { content: DossierRecord[]; nextCursor: string | null };
    out.push(...page.content);
    cursor = page.nextCursor;
    if (page.content.length < 5000) return out;
  }
}

/** The monthly statistics a province's feed implies right now, drained independently: "unit|procedure|YYYY-MM" → counts. */
export async function feedTruth(sim: RunningSimulator, province: string): Promise<Map<string, GroupCounts>> {
  const out = new Map<string, GroupCounts>();
  for (const d of await feedDossiers(sim, province)) {
    const key = `${d.MaDonVi}|${d.MaTTHC}|${d.NgayTiepNhan.slice(0, 4)}-${d.NgayTiepNhan.slice(4, 6)}`;
    const c = out.get(key) ?? [0, 0, 0, 0, 0, 0, 0, 0];
    c[0]++;
    if (d.HinhThuc === 2) c[1]++;
    if (d.HinhThuc === 3) c[2]++;
    if (d.TrangThaiHoSo === 4) c[d.NgayTra! <= d.NgayHenTra ? 3 : 4]++;
    if (d.PhiLePhi > 0) c[5]++;
    c[6] += d.ThanhToanTrucTuyen;
    c[7] += d.DongBoDVCQG;
    out.set(key, c);
  }
  return out;
}

/** The gateway's monthly statistics for the units holding a province code (and their communes), keyed like feedTruth. */
export async function provinceFilings(db: Database, province: string): Promise<Map<string, GroupCounts>> {
  const rows = await db.sql.query<{ key: string; c: GroupCounts }>(
    `SELECT u.code || '|' || p.code || '|' || to_char(f.month, 'YYYY-MM') AS key,
            ARRAY[f.received, f.received_online, f.received_postal, f.resolved_on_time, f.resolved_late, f.with_fee, f.paid_online, f.synced_national] AS c
     FROM filing_stat f JOIN unit u ON u.id = f.unit_id LEFT JOIN unit pu ON pu.id = u.parent_id JOIN procedure p ON p.id = f.procedure_id
     WHERE (u.code = $1 OR pu.code = $1) AND f.received > 0`,
    [province],
  );
  return new Map(rows.map((r) => [r.key, r.c]));
}

export async function sourceId(db: Database, code: string): Promise<number> {
  const [row] = await db.sql.query<{ id: number }>('SELECT id FROM source WHERE code = $1', [code]);
  return row.id;
}

export interface Served {
  gql<T = any>(query: string, variables?: Record<string, unknown>, key?: string): Promise<{ status: number; data?: T; errors?: { message: string; extensions?: { code?: string; problems?: unknown[] } }[] }>;
  close(): Promise<void>;
}

/**
 * The real GraphQL server over an existing test database (the harness's startTestGateway makes its
 * own), reading its process-wide services (the sync runtime) from `services`, as main.ts wires it.
 */
export async function serve(db: Database, services = new ServiceRegistry()): Promise<Served> {
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', databaseUrl: db.url, logLevel: 'silent', statementTimeoutMs: 5000 });
  const app = await startApp({ config, db, schema: await createSchema(), logger: createLogger('silent'), services });
  return {
    async gql(query, variables, key) {
      const res = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data?: never; errors?: never[] };
      return { status: res.status, data: body.data, errors: body.errors };
    },
    close: () => app.close(),
  };
}
