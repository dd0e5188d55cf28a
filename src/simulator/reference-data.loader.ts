import fs from 'node:fs';
import path from 'node:path';

/** A province as the reference data describes it (old: until 2025-06-30, new: from 2025-07-01). */
export interface ReferenceProvince {
  readonly code: string;
  readonly name: string;
  readonly communes: readonly ReferenceCommune[];
  /** Old provinces: the new province they went to. New provinces: their predecessors. */
  readonly related: readonly { code: string; type: 'full' | 'partial' }[];
}

export interface ReferenceCommune {
  readonly code: string;
  readonly name: string;
}

export interface ReferenceUnits {
  readonly oldProvinces: readonly ReferenceProvince[];
  readonly newProvinces: readonly ReferenceProvince[];
}

interface SplitsFile {
  data: { level1_id: string; name: string; splits: { new_id: string }[]; level3s: { level3_id: string; name: string }[] }[];
}

interface MergesFile {
  data: {
    level1_id: string;
    name: string;
    merges: { old_id: string; type: string }[];
    level2s: { level2_id: string; name: string }[];
  }[];
}

/** A ministry of data/reference/ministries.json, with the 1 March 2025 restructuring. */
export interface ReferenceMinistry {
  readonly code: string;
  readonly name: string;
  /** Closed the day before `effectiveOn`, or opened on it; neither: before and after. */
  readonly closed: boolean;
  readonly opened: boolean;
  readonly successors: readonly { code: string; type: 'full' | 'partial' }[];
}

export interface ReferenceMinistries {
  /** ISO date of the restructuring. */
  readonly effectiveOn: string;
  readonly ministries: readonly ReferenceMinistry[];
}

interface MinistriesFile {
  effectiveOn: string;
  units: { code: string; name: string; closed?: boolean; opened?: boolean; successors?: { code: string; type: 'full' | 'partial' }[] }[];
}

let cachedRoot: string | undefined;
let cachedUnits: ReferenceUnits | undefined;
let cachedMinistries: ReferenceMinistries | undefined;

/**
 * The folder holding package.json. Searched upward so the same code works from src/simulator
 * (ts-jest) and dist/src/simulator (compiled).
 */
export function findProjectRoot(start: string = __dirname): string {
  if (cachedRoot && start === __dirname) return cachedRoot;
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${start}`);
    dir = up;
  }
  if (start === __dirname) cachedRoot = dir;
  return dir;
}

export function referenceDataDir(): string {
  return path.join(findProjectRoot(), 'data', 'reference', 'admin-units-2025');
}

function readJson<T>(file: string, dir = referenceDataDir()): T {
  return JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as T;
}

/** Loads the ministries once per process (the units the gateway's reference data also loads). */
export function loadReferenceMinistries(): ReferenceMinistries {
  if (cachedMinistries) return cachedMinistries;
  const file = readJson<MinistriesFile>('ministries.json', path.join(findProjectRoot(), 'data', 'reference'));
  cachedMinistries = {
    effectiveOn: file.effectiveOn,
    ministries: file.units.map((m) => ({ code: m.code, name: m.name, closed: m.closed === true, opened: m.opened === true, successors: m.successors ?? [] })),
  };
  return cachedMinistries;
}

/** Loads the real 2025 unit reference once per process (about 4 MB of JSON). */
export function loadReferenceUnits(): ReferenceUnits {
  if (cachedUnits) return cachedUnits;
  const splits = readJson<SplitsFile>('splits.json');
  const merges = readJson<MergesFile>('merges.json');
  const oldProvinces: ReferenceProvince[] = splits.data.map((p) => ({
    code: p.level1_id,
    name: p.name,
    communes: p.level3s.map((c) => ({ code: c.level3_id, name: c.name })),
    related: p.splits.map((s) => ({ code: s.new_id, type: p.splits.length > 1 ? ('partial' as const) : ('full' as const) })),
  }));
  const newProvinces: ReferenceProvince[] = merges.data.map((p) => ({
    code: p.level1_id,
    name: p.name,
    communes: p.level2s.map((c) => ({ code: c.level2_id, name: c.name })),
    related: p.merges.map((m) => ({ code: m.old_id, type: m.type === 'partial' ? ('partial' as const) : ('full' as const) })),
  }));
  cachedUnits = { oldProvinces, newProvinces };
  return cachedUnits;
}
