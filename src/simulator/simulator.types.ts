/**
 * The simulated world's vocabulary. Online levels are small integers internally so the hot paths
 * stay numeric: 1-4 are Decree 43 levels, 5-7 Decree 42 levels (info, partial, full).
 */

export type LevelCode = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const LEVEL_INFO = 5;
export const LEVEL_PARTIAL = 6;
export const LEVEL_FULL = 7;

export type LevelTaxonomyName = 'decree43' | 'decree42';
/** `central`: a ministry's own procedures (docs/domain.md, "Procedures and services"). */
export type ProcedureTierName = 'central' | 'province' | 'district' | 'commune';

export function levelText(code: number): string {
  switch (code) {
    case 5:
      return 'info';
    case 6:
      return 'partial';
    case 7:
      return 'full';
    default:
      return String(code);
  }
}

export function levelTaxonomy(code: number): LevelTaxonomyName {
  return code >= LEVEL_INFO ? 'decree42' : 'decree43';
}

/** The legacy Decree 43 column value: full→4, partial→3, info→2 (docs/domain.md, "Online levels: two taxonomies"). */
export function legacyLevel(code: number): number {
  if (code === LEVEL_FULL) return 4;
  if (code === LEVEL_PARTIAL) return 3;
  if (code === LEVEL_INFO) return 2;
  return code;
}

/** Level 3/4 or partial/full: dossiers can be filed online. */
export function isOnlineLevel(code: number): boolean {
  return code === 3 || code === 4 || code === LEVEL_PARTIAL || code === LEVEL_FULL;
}

export function isFullLevel(code: number): boolean {
  return code === 4 || code === LEVEL_FULL;
}

export interface Sector {
  readonly code: string;
  readonly name: string;
}

export interface Procedure {
  /**
   * Seeds every draw about the procedure: its position in the local catalogue sorted by code;
   * the ministries' central procedures come after it (numbered in their own code order), so
   * adding them left every province's services and dossiers as they were.
   */
  readonly index: number;
  readonly code: string;
  readonly name: string;
  readonly sector: Sector;
  readonly tier: ProcedureTierName;
  readonly eligibleFullOnline: boolean;
  readonly essential: boolean;
  /** Statutory processing time in days (0: same day). */
  readonly processingDays: number;
  /** Fee or charge in VND, 0 when free. */
  readonly fee: number;
  /** Relative dossier volume (essential services are the busiest). */
  readonly popularity: number;
  /** The ministry owning a central procedure (before the 2025 restructuring); null for local ones. */
  readonly ministry: string | null;
}

/**
 * Provinces and communes: before (old) or from (new) the 2025 reform; a province the reform left
 * untouched is one `old` unit that goes on. Ministries: `old` unless opened by the 1 March 2025
 * restructuring.
 */
export type UnitEra = 'old' | 'new';
export type UnitKindName = 'ministry' | 'province' | 'commune';

export interface ProvinceParams {
  /** Month index at which half of the eligible services reach level 4 (laggards later). */
  readonly level4Midpoint: number;
  /** Multiplies online take-up (0.6 .. 1.3). */
  readonly onlineAffinity: number;
  /** Share of dossiers resolved late in 2018, falling over time. */
  readonly lateRate: number;
}

export interface SimUnit {
  /** `<code>@old` or `<code>@new`: codes are reused across the reform. */
  readonly key: string;
  readonly code: string;
  readonly name: string;
  readonly kind: UnitKindName;
  /** The top-level unit: the province (a commune's, or the province itself), or the ministry itself. */
  readonly provinceCode: string;
  readonly era: UnitEra;
  /** ISO date, null when the unit predates the simulated period. */
  readonly validFrom: string | null;
  /** ISO date, null while the unit exists. */
  readonly validTo: string | null;
  /** First and last month index the unit exists (new units: open-ended). */
  readonly firstMonth: number;
  readonly lastMonth: number;
  /** Relative size (1 = an average province). */
  readonly weight: number;
  readonly params: ProvinceParams;
}

export interface SimService {
  /** Position in the world's service list (sorted by unit code, era, procedure code). */
  readonly index: number;
  readonly unit: SimUnit;
  readonly procedure: Procedure;
  /** Position among the unit's services: part of the dossier number. */
  readonly localIndex: number;
  readonly firstMonth: number;
  readonly lastMonth: number;
  /** Level history as flat pairs [month, level, month, level, ...], months ascending. */
  readonly levels: readonly number[];
  /** Month from which the service is integrated on DVCQG (Infinity: never). */
  readonly integratedFrom: number;
  /** Hash key seeding every per-service draw. */
  readonly key: number;
  /** Expected dossiers per month before the seasonal/trend factor. */
  readonly baseVolume: number;
}

export interface Plan {
  readonly agencyCode: string;
  readonly agencyName: string;
  readonly agencyKey: string;
  readonly year: number;
  readonly documentNumber: string;
  readonly title: string;
  readonly issuedDate: string;
  readonly dueDate: string;
}

/** How big a world to simulate. `small` and `national` are presets of this. */
export interface ScaleSpec {
  readonly name: string;
  /** Local (province, district and commune tier) procedures in the catalogue. */
  readonly procedureCount: number;
  /** Old provinces the national portal reports ('all' = the 63). New provinces whose seat is included follow. */
  readonly oldProvinces: 'all' | readonly string[];
  /**
   * Old provinces (of `oldProvinces`) with a one-stop dossier feed and a statistics export, whose
   * successors holding the same code have them too: simulated with `servicesPerProvince` and
   * `dossiersPerProvinceMonth`. The others are reported by the national portal only.
   */
  readonly feedProvinces: 'all' | readonly string[];
  /** Services of a feed province (old or new). */
  readonly servicesPerProvince: readonly [number, number];
  /** Services of a province the national portal alone reports (about half of them essential). */
  readonly servicesPerOtherProvince: readonly [number, number];
  /** Commune-level services for the first communes of a few feed provinces. */
  readonly communeServices: {
    readonly provinces: readonly string[];
    readonly communesPerProvince: number;
    readonly servicesPerCommune: readonly [number, number];
  };
  /** Dossiers a month in an average-size feed province (weight 1) around 2022. */
  readonly dossiersPerProvinceMonth: number;
  /** The same for a province the national portal alone reports. */
  readonly dossiersPerOtherProvinceMonth: number;
  /** Dossiers a month in one simulated commune. */
  readonly dossiersPerCommuneMonth: number;
  /** Every ministry of data/reference/ministries.json, reported by the national portal. */
  readonly ministries: {
    /** Central procedures each ministry of the reference list owns in the catalogue. */
    readonly proceduresPerMinistry: readonly [number, number];
    /** Dossiers a month of one ministry around 2022. */
    readonly dossiersPerMonth: number;
  };
}

export const SCALES: Readonly<Record<'small' | 'national', ScaleSpec>> = {
  small: {
    name: 'small',
    procedureCount: 300,
    // The national portal reports the whole country; six provinces also have their own feed and
    // export: Tây Ninh + Long An (→ new 80 Tây Ninh), Hải Dương + Hải Phòng (→ 31), Bạc Liêu + Cà Mau (→ 96).
    oldProvinces: 'all',
    feedProvinces: ['30', '31', '72', '80', '95', '96'],
    servicesPerProvince: [40, 80],
    // Tens of services, about half of them essential: this keeps the first start under a minute (README).
    servicesPerOtherProvince: [14, 20],
    communeServices: { provinces: ['72', '80', '96'], communesPerProvince: 3, servicesPerCommune: [8, 12] },
    dossiersPerProvinceMonth: 70,
    dossiersPerOtherProvinceMonth: 10,
    dossiersPerCommuneMonth: 4,
    ministries: { proceduresPerMinistry: [5, 9], dossiersPerMonth: 6 },
  },
  national: {
    name: 'national',
    procedureCount: 2000,
    oldProvinces: 'all',
    feedProvinces: 'all',
    servicesPerProvince: [1200, 2000],
    servicesPerOtherProvince: [1200, 2000],
    communeServices: { provinces: ['72', '80', '96'], communesPerProvince: 3, servicesPerCommune: [8, 12] },
    dossiersPerProvinceMonth: 1100,
    dossiersPerOtherProvinceMonth: 1100,
    dossiersPerCommuneMonth: 4,
    ministries: { proceduresPerMinistry: [40, 120], dossiersPerMonth: 400 },
  },
};
