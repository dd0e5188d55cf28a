import fs from 'node:fs';
import path from 'node:path';
import parser from 'cron-parser';
import { projectRoot } from '../config/project-root';
import { Sql } from '../db/sql';
import { connectorKind, SYNC_KINDS } from '../connectors/connector-registry';
import { DVCQG_PARTS } from '../connectors/dvcqg.connector';
import { ensureDossierPartition } from '../ingest/dossier-stage';
import { SourceKind } from '../provenance/source.entity';

/** The simulator's documented defaults (docs/simulator.md), used when a simulated source's variable is unset. */
export const SIMULATOR_CREDENTIALS: Record<string, string> = { token: 'sim-dvcqg-token', clientId: 'sim-client', clientSecret: 'sim-secret' };

export const SIMULATOR_PLACEHOLDER = '${SIMULATOR_URL}';

/** One source as the registry file describes it. */
export interface RegistryEntry {
  code: string;
  kind: SourceKind;
  name: string;
  /** May hold ${VAR} placeholders, resolved from the environment (${SIMULATOR_URL}: the portal simulator). */
  baseUrl: string;
  /** Logical credential name → name of the environment variable holding it. */
  credentials: Record<string, string>;
  /** Cron expression (Asia/Ho_Chi_Minh), or null: synced on demand only. */
  schedule: string | null;
  precedence: number;
  /** Unit (province) codes covered, with everything below them; ["*"]: the nation. */
  units: string[];
  options: Record<string, unknown>;
}

/** A registry entry ready to sync: placeholders resolved. */
export interface ResolvedSource extends RegistryEntry {
  url: string;
  /** The base URL points at the portal simulator: its documented credentials apply when a variable is unset. */
  simulated: boolean;
}

export class RegistryError extends Error {}

export function defaultSourcesFile(): string {
  return path.join(projectRoot(), 'config', 'sources.json');
}

const CODE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const INT_OPTIONS = ['timeoutMs', 'retries', 'retryBaseMs', 'retryMaxMs', 'failingAfter', 'pageSize', 'lookbackMonths', 'concurrency'];
const MONTH_OPTIONS = ['from', 'levelsUntil', 'publishedFrom', 'index766From'];

/** Reads and validates a registry file; every problem is listed, naming the source and field. */
export function readRegistryFile(file: string): RegistryEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RegistryError(`sources file ${file}: ${(e as Error).message}`);
  }
  return parseRegistry(raw, file);
}

export function parseRegistry(raw: unknown, where = 'sources'): RegistryEntry[] {
  const problems: string[] = [];
  const list = (raw as { sources?: unknown })?.sources;
  if (!Array.isArray(list) || list.length === 0) throw new RegistryError(`${where}: expected {"sources": [ ... ]} with at least one source`);
  const seen = new Set<string>();
  const entries: RegistryEntry[] = [];
  list.forEach((s: Record<string, unknown>, i) => {
    const at = `sources[${i}]${typeof s?.code === 'string' ? ` (${s.code})` : ''}`;
    const bad = (field: string, reason: string) => problems.push(`${at}.${field}: ${reason}`);
    if (typeof s !== 'object' || s === null) return void problems.push(`${at}: must be an object`);
    if (typeof s.code !== 'string' || !CODE.test(s.code)) bad('code', 'lower-case letters, digits, ".", "_" or "-", at most 63 characters');
    else if (seen.has(s.code)) bad('code', 'appears twice');
    else seen.add(s.code);
    if (!(SYNC_KINDS as readonly unknown[]).includes(s.kind)) bad('kind', `must be one of ${SYNC_KINDS.join(', ')}`);
    if (typeof s.name !== 'string' || s.name.trim() === '') bad('name', 'is required');
    if (typeof s.baseUrl !== 'string' || !isHttpUrl(s.baseUrl.replace(/\$\{[A-Z_][A-Z0-9_]*\}/g, 'http://placeholder'))) bad('baseUrl', 'must be an http(s) URL (placeholders like ${SIMULATOR_URL} allowed)');
    const credentials = (s.credentials ?? {}) as Record<string, unknown>;
    if (typeof credentials !== 'object' || Array.isArray(credentials)) bad('credentials', 'must map credential names to environment variable names');
    else {
      for (const [k, v] of Object.entries(credentials)) {
        if (typeof v !== 'string' || !ENV_NAME.test(v)) bad(`credentials.${k}`, 'must name an environment variable (A-Z, 0-9, _), never hold a secret');
      }
      for (const need of connectorKind(s.kind as string)?.credentials ?? []) if (!(need in credentials)) bad(`credentials.${need}`, 'is required for this kind');
    }
    const schedule = s.schedule ?? null;
    if (schedule !== null) {
      if (typeof schedule !== 'string') bad('schedule', 'must be a cron expression or null');
      else {
        try {
          parser.parseExpression(schedule, { tz: 'Asia/Ho_Chi_Minh' });
        } catch (e) {
          bad('schedule', `invalid cron expression: ${(e as Error).message}`);
        }
      }
    }
    if (typeof s.precedence !== 'number' || !Number.isInteger(s.precedence) || s.precedence < 0 || s.precedence > 999) bad('precedence', 'must be a whole number 0..999 (1000 is the bundled reference data)');
    if (!Array.isArray(s.units) || s.units.length === 0 || !s.units.every((u) => typeof u === 'string' && /^(\*|[0-9A-Za-z.]{1,32})$/.test(u))) bad('units', 'must list unit codes, or ["*"] for the nation');
    const options = (s.options ?? {}) as Record<string, unknown>;
    if (typeof options !== 'object' || Array.isArray(options)) bad('options', 'must be an object');
    else {
      for (const k of INT_OPTIONS) if (k in options && (!Number.isInteger(options[k]) || (options[k] as number) < 0)) bad(`options.${k}`, 'must be a whole number ≥ 0');
      for (const k of MONTH_OPTIONS) if (k in options && (typeof options[k] !== 'string' || !MONTH.test(options[k] as string))) bad(`options.${k}`, 'must be a month YYYY-MM');
      if ('parts' in options && (!Array.isArray(options.parts) || !options.parts.every((p) => (DVCQG_PARTS as readonly unknown[]).includes(p)))) {
        bad('options.parts', `must list some of ${DVCQG_PARTS.join(', ')}`);
      }
    }
    entries.push({
      code: s.code as string,
      kind: s.kind as SourceKind,
      name: s.name as string,
      baseUrl: s.baseUrl as string,
      credentials: credentials as Record<string, string>,
      schedule: schedule as string | null,
      precedence: s.precedence as number,
      units: s.units as string[],
      options,
    });
  });
  if (problems.length > 0) throw new RegistryError(`${where}: invalid source registry:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return entries;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Whether any entry needs the portal simulator's URL. */
export function needsSimulator(entries: RegistryEntry[]): boolean {
  return entries.some((e) => e.baseUrl.includes(SIMULATOR_PLACEHOLDER));
}

/**
 * The simulator a running gateway on this database uses, if it answers: the registry's simulator
 * URLs as that gateway last applied them, with their path taken off. Lets `npm run sync` beside
 * `npm start` read the same simulated portals (and leave the URLs it shows as they are).
 */
export async function runningSimulatorUrl(sql: Sql, entries: RegistryEntry[]): Promise<string | undefined> {
  const templated = entries.filter((e) => e.baseUrl.startsWith(SIMULATOR_PLACEHOLDER));
  if (templated.length === 0) return undefined;
  const rows = await sql.query<{ code: string; base_url: string }>('SELECT code, base_url FROM source WHERE code = ANY($1)', [templated.map((e) => e.code)]);
  // Any one of them gives the root: the URL as applied, less the path the registry puts after it.
  const root = rows
    .map((row) => ({ url: row.base_url, suffix: templated.find((e) => e.code === row.code)!.baseUrl.slice(SIMULATOR_PLACEHOLDER.length) }))
    .filter(({ url, suffix }) => url.endsWith(suffix))
    .map(({ url, suffix }) => url.slice(0, url.length - suffix.length))
    .find((r) => /^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(r)); // only a loopback simulator
  if (!root) return undefined;
  try {
    const res = await fetch(`${root}/__health`, { signal: AbortSignal.timeout(1000) });
    if (res.ok && typeof ((await res.json()) as { seed?: unknown }).seed === 'number') return root;
  } catch {
    // not running any more
  }
  return undefined;
}

/** Substitutes ${VAR} placeholders from `vars` (then the environment); an unset one is an error. */
export function resolveSources(entries: RegistryEntry[], vars: Record<string, string | undefined> = {}, env: NodeJS.ProcessEnv = process.env): ResolvedSource[] {
  return entries.map((e) => {
    const url = e.baseUrl.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (_m, name: string) => {
      const v = vars[name] ?? env[name];
      if (!v) throw new RegistryError(`source ${e.code}: baseUrl needs \${${name}}, which is not set`);
      return v.replace(/\/+$/, '');
    });
    if (!isHttpUrl(url)) throw new RegistryError(`source ${e.code}: baseUrl resolves to "${url}", not an http(s) URL (check the variables it names)`);
    return { ...e, url: url.replace(/\/+$/, ''), simulated: e.baseUrl.includes(SIMULATOR_PLACEHOLDER) };
  });
}

/**
 * A source's credential: the environment variable the registry names, or for a simulated source
 * the simulator's documented default. Never stored, never logged.
 */
export function credentialOf(source: ResolvedSource, name: string, env: NodeJS.ProcessEnv = process.env): string {
  const variable = source.credentials[name];
  const value = variable ? env[variable] : undefined;
  if (value) return value;
  if (source.simulated && SIMULATOR_CREDENTIALS[name]) return SIMULATOR_CREDENTIALS[name];
  throw new RegistryError(`source ${source.code}: credential ${name} is missing (set the environment variable ${variable ?? '(none named)'})`);
}

/**
 * Mirrors the registry into the source table (so sources, their schedule and health are visible
 * over GraphQL), creates each feed's dossier partition, and unschedules synced sources that left
 * the file (their facts stay, with their provenance). Returns code → id.
 */
export async function applyRegistry(sql: Sql, sources: ResolvedSource[]): Promise<Map<string, number>> {
  const unitCodes = [...new Set(sources.flatMap((s) => s.units).filter((u) => u !== '*'))];
  if (unitCodes.length > 0) {
    const known = new Set((await sql.query<{ code: string }>('SELECT DISTINCT code FROM unit WHERE code = ANY($1)', [unitCodes])).map((r) => r.code));
    const unknown = sources.flatMap((s) => s.units.filter((u) => u !== '*' && !known.has(u)).map((u) => `${s.code}: ${u}`));
    if (unknown.length > 0) throw new RegistryError(`source registry names unknown unit codes: ${unknown.join(', ')}`);
  }
  const ids = new Map<string, number>();
  await sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('dvc-gateway:registry'))`);
    for (const s of sources) {
      const [row] = await tx.query<{ id: number; kind: string }>(
        `INSERT INTO source (code, name, kind, precedence, base_url, schedule, unit_codes, options, credentials)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (code) DO UPDATE SET name = excluded.name, precedence = excluded.precedence, base_url = excluded.base_url,
           schedule = excluded.schedule, unit_codes = excluded.unit_codes, options = excluded.options, credentials = excluded.credentials
         RETURNING id, kind`,
        [s.code, s.name, s.kind, s.precedence, s.url, s.schedule, s.units, JSON.stringify(s.options), JSON.stringify(s.credentials)],
      );
      if (row.kind !== s.kind) throw new RegistryError(`source ${s.code} exists with kind ${row.kind}, the registry says ${s.kind}: use another code`);
      ids.set(s.code, row.id);
    }
    await tx.query(`UPDATE source SET schedule = NULL WHERE kind = ANY($1::text[]) AND NOT (code = ANY($2))`, [SYNC_KINDS, sources.map((s) => s.code)]);
    // Under the registry lock, so two processes starting together do not race on the DDL.
    for (const s of sources) if (connectorKind(s.kind)?.keepsDossiers) await ensureDossierPartition(tx, ids.get(s.code)!);
  });
  return ids;
}
