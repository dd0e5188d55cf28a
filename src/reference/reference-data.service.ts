import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root';
import { foldVietnamese } from '../common/text';
import { Sql, SqlClient } from '../db/sql';
import { isValidOn, validOnSql } from '../units/unit-validity';

/** The 2025 reform: old units close the day before, new ones open on this day. */
export const REFORM_DATE = '2025-07-01';
const REFORM_EVE = '2025-06-30';

interface OldProvince {
  level1_id: string;
  name: string;
  /** The five island districts that had no communes (Bạch Long Vĩ, Cồn Cỏ, Hoàng Sa, Lý Sơn, Côn Đảo). */
  level2s?: { level2_id: string; name: string }[];
  level3s: { level3_id: string; name: string; splits: { new_id: string }[] }[] }
interface NewProvince {
  level1_id: string;
  name: string;
  merges: { old_id: string; type: 'full' | 'partial' }[];
  level2s: { level2_id: string; name: string; merges: { old_id: string; type: 'full' | 'partial' }[] }[];
}
interface MinistryRow { code: string; name: string; closed?: boolean; opened?: boolean; successors?: { code: string; type: 'full' | 'partial' }[] }

interface UnitRow { key: string; code: string; name: string; kind: string; parentKey: string | null; validFrom: string | null; validTo: string | null }
interface LineageRow { from: string; to: string; type: string; on: string }

export interface ReferenceSummary {
  loaded: boolean;
  units: number;
  lineage: number;
  targets: number;
}

function referenceDir(): string {
  return path.join(projectRoot(), 'data', 'reference');
}

export function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(referenceDir(), file), 'utf8')) as T;
}

/** A unit's key within this load: its code and first valid day. */
const key = (code: string, validFrom: string | null) => `${code}@${validFrom ?? ''}`;

/**
 * Builds the unit catalogue from the bundled data. A unit that the 2025 reform left untouched
 * (same code and name, its only predecessor itself, in a province that also continues) stays one
 * unit; every other one closes on 30 June 2025 and its successors open on 1 July with lineage.
 */
export function buildUnitCatalogue(): { units: UnitRow[]; lineage: LineageRow[] } {
  const splits = readJson<{ data: OldProvince[] }>('admin-units-2025/splits.json').data;
  const merges = readJson<{ data: NewProvince[] }>('admin-units-2025/merges.json').data;
  const ministries = readJson<{ effectiveOn: string; units: MinistryRow[] }>('ministries.json');
  const units: UnitRow[] = [];
  const lineage: LineageRow[] = [];
  const nation = key('VN', null);
  units.push({ key: nation, code: 'VN', name: 'Việt Nam', kind: 'nation', parentKey: null, validFrom: null, validTo: null });

  const eve = (d: string) => new Date(Date.parse(d) - 86_400_000).toISOString().slice(0, 10);
  const ministryKey = new Map<string, string>();
  for (const m of ministries.units) {
    const validFrom = m.opened ? ministries.effectiveOn : null;
    const k = key(m.code, validFrom);
    ministryKey.set(m.code, k);
    units.push({ key: k, code: m.code, name: m.name, kind: 'ministry', parentKey: nation, validFrom, validTo: m.closed ? eve(ministries.effectiveOn) : null });
  }
  for (const m of ministries.units) {
    for (const s of m.successors ?? []) {
      lineage.push({ from: ministryKey.get(m.code)!, to: ministryKey.get(s.code)!, type: s.type, on: ministries.effectiveOn });
    }
  }

  const oldCommuneSplits = new Map<string, number>();
  const oldCommuneName = new Map<string, string>();
  for (const p of splits) for (const c of p.level3s) {
    oldCommuneSplits.set(c.level3_id, c.splits.length);
    oldCommuneName.set(c.level3_id, c.name);
  }
  const continuingProvinces = new Set(
    merges.filter((p) => p.merges.length === 1 && p.merges[0].old_id === p.level1_id && p.merges[0].type === 'full').map((p) => p.level1_id),
  );
  const continuingCommunes = new Set<string>();
  for (const p of merges) {
    if (!continuingProvinces.has(p.level1_id)) continue;
    for (const c of p.level2s) {
      const only = c.merges.length === 1 ? c.merges[0] : undefined;
      if (only && only.old_id === c.level2_id && only.type === 'full' && oldCommuneSplits.get(c.level2_id) === 1 && oldCommuneName.get(c.level2_id) === c.name) {
        continuingCommunes.add(c.level2_id);
      }
    }
  }

  // Before the reform.
  for (const p of splits) {
    const continues = continuingProvinces.has(p.level1_id);
    const pk = key(p.level1_id, null);
    units.push({ key: pk, code: p.level1_id, name: p.name, kind: 'province', parentKey: nation, validFrom: null, validTo: continues ? null : REFORM_EVE });
    for (const d of p.level2s ?? []) {
      units.push({ key: key(d.level2_id, null), code: d.level2_id, name: d.name, kind: 'district', parentKey: pk, validFrom: null, validTo: REFORM_EVE });
    }
    for (const c of p.level3s) {
      const continuesC = continuingCommunes.has(c.level3_id);
      units.push({ key: key(c.level3_id, null), code: c.level3_id, name: c.name, kind: 'commune', parentKey: pk, validFrom: null, validTo: continuesC ? null : REFORM_EVE });
    }
  }
  // After the reform.
  for (const p of merges) {
    const continues = continuingProvinces.has(p.level1_id);
    const pk = key(p.level1_id, continues ? null : REFORM_DATE);
    if (!continues) {
      units.push({ key: pk, code: p.level1_id, name: p.name, kind: 'province', parentKey: nation, validFrom: REFORM_DATE, validTo: null });
      for (const m of p.merges) lineage.push({ from: key(m.old_id, null), to: pk, type: m.type, on: REFORM_DATE });
    }
    for (const c of p.level2s) {
      if (continuingCommunes.has(c.level2_id)) continue;
      const ck = key(c.level2_id, REFORM_DATE);
      units.push({ key: ck, code: c.level2_id, name: c.name, kind: 'commune', parentKey: pk, validFrom: REFORM_DATE, validTo: null });
      for (const m of c.merges) lineage.push({ from: key(m.old_id, null), to: ck, type: m.type, on: REFORM_DATE });
    }
  }
  return { units, lineage };
}

/** A rename without a code change (data/reference/unit-renames.json). */
export interface RenameRow {
  code: string; kind: string; formerName: string; formerValidFrom?: string; formerValidTo: string;
  currentName: string; effectiveOn: string; basis: string;
}

/**
 * The renames, checked against the catalogue: a rename keeps the unit, so one unit must hold the
 * code on both sides of the change, and its catalogue name must be the name the rename gives
 * (otherwise the file and the catalogue disagree and the history would be wrong).
 */
export function readRenames(units: readonly UnitRow[]): RenameRow[] {
  const renames = readJson<{ renames: RenameRow[] }>('unit-renames.json').renames;
  for (const r of renames) {
    const holder = units.filter((u) => u.code === r.code && u.kind === r.kind && isValidOn(u, r.formerValidTo) && isValidOn(u, r.effectiveOn));
    if (holder.length !== 1) throw new Error(`unit-renames.json: no single ${r.kind} ${r.code} spans ${r.formerValidTo} and ${r.effectiveOn}`);
    const later = renames.find((o) => o.code === r.code && o.kind === r.kind && o.effectiveOn > r.effectiveOn);
    if (!later && holder[0].name !== r.currentName) {
      throw new Error(`unit-renames.json: ${r.kind} ${r.code} is "${holder[0].name}" in the catalogue, not "${r.currentName}"`);
    }
  }
  return renames;
}

interface TargetRow {
  code: string; indicator: string; threshold: number; comparison: string; scopeKinds: string[]; eligibleOnly: boolean;
  periodStart?: string; deadline: string; planYear?: number; legalBasis: string; description: string;
}

function checksum(): string {
  const h = crypto.createHash('sha256');
  // Bump when the way the files are turned into rows changes, so existing databases reload.
  h.update('loader-v3');
  for (const f of ['admin-units-2025/splits.json', 'admin-units-2025/merges.json', 'ministries.json', 'targets.json', 'unit-renames.json']) {
    h.update(fs.readFileSync(path.join(referenceDir(), f)));
  }
  return h.digest('hex').slice(0, 16);
}

/** Ensures the reference source exists and returns its id. */
async function referenceSource(tx: SqlClient): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `INSERT INTO source (code, name, kind, precedence) VALUES ('reference', 'Bundled reference data (GSO unit catalogue via dvhcvn, targets)', 'reference', 1000)
     ON CONFLICT (code) DO UPDATE SET name = excluded.name RETURNING id`,
  );
  return row.id;
}

/**
 * Replaces the former names: unit_name holds reference data only, so a rename taken out of the
 * file goes from the database too. Each unit is the one holding the code on the day of the change.
 */
async function writeRenames(tx: SqlClient, renames: readonly RenameRow[]): Promise<void> {
  await tx.query('DELETE FROM unit_name');
  await tx.query(
    `INSERT INTO unit_name (unit_id, name, name_search, valid_from, valid_to, basis)
     SELECT u.id, r.name, r.name_search, r.valid_from, r.valid_to, r.basis
     FROM unnest($1::text[], $2::unit_kind[], $3::text[], $4::text[], $5::date[], $6::date[], $7::text[])
       AS r(code, kind, name, name_search, valid_from, valid_to, basis)
     JOIN unit u ON u.code = r.code AND u.kind = r.kind AND ${validOnSql('r.valid_to', 'u')}`,
    [
      renames.map((r) => r.code),
      renames.map((r) => r.kind),
      renames.map((r) => r.formerName),
      renames.map((r) => foldVietnamese(r.formerName)),
      renames.map((r) => r.formerValidFrom ?? null),
      renames.map((r) => r.formerValidTo),
      renames.map((r) => r.basis),
    ],
  );
}

/**
 * Loads units, lineage, former names and targets once; later starts see the same checksum and skip. Everything
 * is written in one transaction, so a failed load leaves nothing behind.
 */
export async function loadReferenceData(sql: Sql): Promise<ReferenceSummary> {
  const sum = checksum();
  const done = await sql.query<{ id: number }>(
    `SELECT r.id FROM ingest_run r JOIN source s ON s.id = r.source_id
     WHERE s.code = 'reference' AND r.status = 'succeeded' AND r.detail->>'checksum' = $1 LIMIT 1`,
    [sum],
  );
  if (done.length > 0) return { loaded: false, units: 0, lineage: 0, targets: 0 };

  const { units, lineage } = buildUnitCatalogue();
  const renames = readRenames(units);
  const targets = readJson<{ targets: TargetRow[] }>('targets.json').targets;
  const summary = await sql.transaction(async (tx): Promise<ReferenceSummary> => {
    // One loader at a time (several gateway processes may start together).
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('dvc-gateway:reference'))`);
    const again = await tx.query(
      `SELECT 1 FROM ingest_run r JOIN source s ON s.id = r.source_id WHERE s.code = 'reference' AND r.status = 'succeeded' AND r.detail->>'checksum' = $1`,
      [sum],
    );
    if (again.length > 0) return { loaded: false, units: 0, lineage: 0, targets: 0 };
    const sourceId = await referenceSource(tx);
    await tx.query(
      `INSERT INTO ingest_run (source_id, kind, status, rows_read, detail) VALUES ($1, 'reference', 'running', $2, $3)`,
      [sourceId, units.length + lineage.length + targets.length, JSON.stringify({ checksum: sum })],
    );

    // Units without parents first, then by depth, so every parent id is known when a child is written.
    const ids = new Map<string, number>();
    const depth = (u: UnitRow) => (u.kind === 'nation' ? 0 : u.kind === 'commune' || u.kind === 'district' ? 2 : 1);
    for (const level of [0, 1, 2]) {
      const rows = units.filter((u) => depth(u) === level);
      const inserted = await tx.query<{ id: number; code: string; valid_from: string | null }>(
        `INSERT INTO unit (code, name, name_search, kind, parent_id, valid_from, valid_to)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::unit_kind[], $5::int[], $6::date[], $7::date[])
         ON CONFLICT (code, valid_from) DO UPDATE SET name = excluded.name, name_search = excluded.name_search,
           kind = excluded.kind, parent_id = excluded.parent_id, valid_to = excluded.valid_to
         RETURNING id, code, to_char(valid_from, 'YYYY-MM-DD') AS valid_from`,
        [
          rows.map((u) => u.code),
          rows.map((u) => u.name),
          rows.map((u) => foldVietnamese(u.name)),
          rows.map((u) => u.kind),
          rows.map((u) => (u.parentKey ? ids.get(u.parentKey)! : null)),
          rows.map((u) => u.validFrom),
          rows.map((u) => u.validTo),
        ],
      );
      for (const r of inserted) ids.set(key(r.code, r.valid_from), r.id);
    }
    await tx.query(
      `INSERT INTO unit_lineage (predecessor_id, successor_id, type, effective_on)
       SELECT * FROM unnest($1::int[], $2::int[], $3::lineage_type[], $4::date[])
       ON CONFLICT (predecessor_id, successor_id) DO UPDATE SET type = excluded.type, effective_on = excluded.effective_on`,
      [lineage.map((l) => ids.get(l.from)!), lineage.map((l) => ids.get(l.to)!), lineage.map((l) => l.type), lineage.map((l) => l.on)],
    );
    await writeRenames(tx, renames);
    for (const t of targets) {
      await tx.query(
        `INSERT INTO target (code, indicator, threshold, comparison, scope_kinds, eligible_only, period_start, deadline, plan_year, legal_basis, description)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (code) DO UPDATE SET indicator = excluded.indicator, threshold = excluded.threshold, comparison = excluded.comparison,
           scope_kinds = excluded.scope_kinds, eligible_only = excluded.eligible_only, period_start = excluded.period_start,
           deadline = excluded.deadline, plan_year = excluded.plan_year, legal_basis = excluded.legal_basis, description = excluded.description`,
        [t.code, t.indicator, t.threshold, t.comparison, t.scopeKinds, t.eligibleOnly, t.periodStart ?? null, t.deadline, t.planYear ?? null, t.legalBasis, t.description],
      );
    }
    await tx.query(
      `UPDATE ingest_run SET status = 'succeeded', finished_at = clock_timestamp(), rows_written = $2
       WHERE source_id = $1 AND kind = 'reference' AND status = 'running'`,
      [sourceId, units.length + lineage.length + targets.length],
    );
    return { loaded: true, units: units.length, lineage: lineage.length, targets: targets.length };
  });
  // Statistics now, not when autovacuum gets to it (76 s after a fresh gateway was ready, measured):
  // until then the planner takes the 13,442 units for a handful, and a page of communes read every
  // commune and sorted them (about 10 ms of PostgreSQL per page in bench:execution, against 0.65
  // once analyzed). A template database (the tests') passes its statistics on to its copies.
  if (summary.loaded) await sql.query('ANALYZE unit, unit_name, unit_lineage, target');
  return summary;
}
