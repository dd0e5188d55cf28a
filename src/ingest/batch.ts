/**
 * The interchange format: one batch of facts, as JSON (the GraphQL mutation and `npm run import`
 * read the same shape) or as CSV files holding one section each. Codes identify units and
 * procedures; a unit code is read at the fact's date, since codes are reused after mergers.
 */
export interface SectorRow {
  code: string;
  name: string;
}

export interface ProcedureRow {
  code: string;
  name: string;
  /** Sector code. */
  sector: string;
  tier: string;
  eligibleFullOnline?: boolean;
  essential?: boolean;
}

export interface ServiceLevelRow {
  unit: string;
  procedure: string;
  taxonomy: string;
  level: string;
  /** First day the level is in force, YYYY-MM-DD. */
  from: string;
  integratedNational?: boolean | null;
}

export interface FilingRow {
  unit: string;
  procedure: string;
  /** YYYY-MM */
  month: string;
  received: number;
  receivedOnline: number;
  receivedPostal?: number;
  resolvedOnTime?: number;
  resolvedLate?: number;
  withFee?: number;
  paidOnline?: number;
  syncedNational?: number;
}

export interface PlanRow {
  unit: string;
  year: number;
  documentNumber?: string | null;
  title?: string | null;
  issuedOn?: string | null;
  dueOn?: string | null;
}

/**
 * A figure a document published (docs/index-766.md, "Published versus computed"): an indicator of
 * a unit over a period (flows: a month "2024-05", a quarter "2024-Q2" or a year "2024") or on a
 * date (stocks), as a fraction (0.85 for 85%), with the document that published it.
 */
export interface PublishedIndicatorRow {
  /** Unit code, read on the period's first day (or the date). */
  unit: string;
  /** An indicator, in lower case as in files: online_dossier_rate, level4_share, ... */
  indicator: string;
  /** Flow indicators: YYYY-MM, YYYY-Qn or YYYY. */
  period?: string | null;
  /** Stock indicators: YYYY-MM-DD. */
  date?: string | null;
  value: number;
  documentNumber: string;
  /** YYYY-MM-DD */
  documentDate: string;
  documentTitle?: string | null;
  documentUrl?: string | null;
}

/**
 * A Decision 766 score the national portal published (docs/index-766.md): a province's or
 * ministry's points in one component of the index (a group, or the total) for a period, and the
 * rank the portal gave it.
 */
export interface PublishedIndexScoreRow {
  /** Unit code (a province or a ministry), read on the period's first day. */
  unit: string;
  /** YYYY-MM, YYYY-Qn or YYYY. */
  period: string;
  /** A group's code in data/reference/index-766.json (transparency, progress, ...) or "total". */
  component: string;
  /** Points, from 0 to the component's maximum (the group's; 100 for the total), at most 2 decimals. */
  points: number;
  /** The portal's rank of the unit among its tier for this component (1 = highest); usually given with the total. */
  rank?: number | null;
}

export interface Batch {
  sectors?: SectorRow[];
  procedures?: ProcedureRow[];
  services?: ServiceLevelRow[];
  filings?: FilingRow[];
  plans?: PlanRow[];
  publishedIndicators?: PublishedIndicatorRow[];
  publishedIndexScores?: PublishedIndexScoreRow[];
}

export const SECTIONS = ['sectors', 'procedures', 'services', 'filings', 'plans', 'publishedIndicators', 'publishedIndexScores'] as const;
export type Section = (typeof SECTIONS)[number];

export const FILING_COUNTS = [
  'received', 'receivedOnline', 'receivedPostal', 'resolvedOnTime', 'resolvedLate', 'withFee', 'paidOnline', 'syncedNational',
] as const;

export function batchSize(batch: Batch): number {
  return SECTIONS.reduce((n, s) => n + (batch[s]?.length ?? 0), 0);
}
