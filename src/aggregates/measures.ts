import { registerEnumType } from 'type-graphql';
import { Indicator } from '../plans/target.entity';

/** Everything an aggregate can compute: counts, and the indicators of docs/domain.md ("Indicators") as ratios of sums. */
export enum AggregateMeasure {
  DOSSIERS_RECEIVED = 'dossiers_received',
  DOSSIERS_ONLINE = 'dossiers_online',
  DOSSIERS_IN_PERSON = 'dossiers_in_person',
  DOSSIERS_POSTAL = 'dossiers_postal',
  DOSSIERS_RESOLVED = 'dossiers_resolved',
  DOSSIERS_ON_TIME = 'dossiers_on_time',
  DOSSIERS_LATE = 'dossiers_late',
  DOSSIERS_WITH_FEE = 'dossiers_with_fee',
  DOSSIERS_PAID_ONLINE = 'dossiers_paid_online',
  DOSSIERS_SYNCED = 'dossiers_synced',
  SERVICES = 'services',
  SERVICES_ONLINE = 'services_online',
  SERVICES_FULL_ONLINE = 'services_full_online',
  SERVICES_INTEGRATED = 'services_integrated',
  LEVEL4_SHARE = 'level4_share',
  LEVEL34_SHARE = 'level34_share',
  SERVICES_WITH_ONLINE_FILINGS = 'services_with_online_filings',
  ONLINE_DOSSIER_RATE = 'online_dossier_rate',
  ON_TIME_RATE = 'on_time_rate',
  ONLINE_PAYMENT_RATE = 'online_payment_rate',
  DVCQG_INTEGRATION = 'dvcqg_integration',
  PROCESSING_DAYS_MEDIAN = 'processing_days_median',
  PROCESSING_DAYS_P90 = 'processing_days_p90',
  PROCESSING_DAYS_MEAN = 'processing_days_mean',
  DOSSIERS_IN_PROGRESS = 'dossiers_in_progress',
  DOSSIERS_OVERDUE = 'dossiers_overdue',
  OVERDUE_SHARE = 'overdue_share',
}

/**
 * flow: summed over the months of the period. stock: counted on a date (asOf, or the last day of
 * each period). hybrid: services online at the end of the period, with filings during it.
 * Dossier-level measures (issue 13), read from the dossier store's days rather than the monthly
 * statistics: days, over the dossiers resolved in the period's months (a dossier counts in the
 * month of its resolution day); open, dossiers counted on a date as stocks are (asOf, or the last
 * day of each period). Neither reads service levels.
 */
export type MeasureKind = 'flow' | 'stock' | 'hybrid' | 'days' | 'open';

export interface MeasureDef {
  kind: MeasureKind;
  /** SQL over the grouped columns (see GROUPED_COLUMNS); the value for counts, the numerator for ratios. */
  numerator: string;
  /** Present for ratios: value = numerator / denominator, null when the denominator is 0. */
  denominator?: string;
  /** days only: the value is this percentile of the dossiers' processing days (0.5 the median), as PostgreSQL's percentile_cont. */
  percentile?: number;
  description: string;
}

/** Sums every aggregate row carries, whichever measures were asked for. */
export const FLOW_COLUMNS = [
  'received', 'received_online', 'received_postal', 'resolved_on_time', 'resolved_late', 'with_fee', 'paid_online', 'synced_national',
] as const;
export const STOCK_COLUMNS = ['services', 'services_online', 'services_full', 'services_integrated', 'services_online_with_filings'] as const;
/** Dossiers resolved in the period with a processing time, and the sum of their days (days measures). */
export const DAYS_COLUMNS = ['timed', 'timed_days'] as const;
/** Dossiers in progress and overdue on the date (open measures). */
export const OPEN_COLUMNS = ['in_progress', 'overdue'] as const;
export const GROUPED_COLUMNS = [...FLOW_COLUMNS, ...STOCK_COLUMNS, ...DAYS_COLUMNS, ...OPEN_COLUMNS] as const;

/**
 * Processing days from this many on share one bucket of the processing-days rollup (an open top
 * bucket): a percentile read there is a lower bound, and the answer's warnings say so, with the
 * largest processing time of the rows as the upper bound (PERCENTILE_IN_TOP_BUCKET). Below it every
 * day is its own bucket, so percentiles are exact. A year: past it a dossier is a backlog case.
 */
export const POOLED_DAYS_FROM = 365;

/**
 * The monthly statistics count outcomes in the month a dossier was received (a dossier feed's
 * month is its receipt month, as the national portal's cohort counts), unlike the processing-time
 * measures, which count a dossier in its resolution month.
 */
const BY_RECEIPT = 'counted in the month the dossier was received (resolved by the last sync of its source)';
const RESOLVED_IN_PERIOD = 'over the dossiers resolved in the period, each counted in the month of its resolution day (NgayTra), '
  + 'processing time being resolution day - receipt day (NgayTiepNhan) in calendar days (Asia/Ho_Chi_Minh); from the dossier feeds\' dossiers '
  + '(dossiers stored before their receipt day was kept are left out until their feed re-reads them)';
const OPEN_ON_DATE = 'at the end of the date (asOf, or the last day of each period): received on or before it and not resolved on or before it; '
  + 'from the dossier feeds\' dossiers';

export const MEASURES: Record<AggregateMeasure, MeasureDef> = {
  [AggregateMeasure.DOSSIERS_RECEIVED]: { kind: 'flow', numerator: 'received', description: 'Dossiers received through every channel.' },
  [AggregateMeasure.DOSSIERS_ONLINE]: { kind: 'flow', numerator: 'received_online', description: 'Dossiers received online.' },
  [AggregateMeasure.DOSSIERS_IN_PERSON]: { kind: 'flow', numerator: '(received - received_online - received_postal)', description: 'Dossiers received in person (received less online and postal).' },
  [AggregateMeasure.DOSSIERS_POSTAL]: { kind: 'flow', numerator: 'received_postal', description: 'Dossiers received through the public postal service (BCCI).' },
  [AggregateMeasure.DOSSIERS_RESOLVED]: { kind: 'flow', numerator: '(resolved_on_time + resolved_late)', description: `Dossiers resolved (on time or late), ${BY_RECEIPT}.` },
  [AggregateMeasure.DOSSIERS_ON_TIME]: { kind: 'flow', numerator: 'resolved_on_time', description: `Dossiers resolved on time (NgayTra <= NgayHenTra), ${BY_RECEIPT}.` },
  [AggregateMeasure.DOSSIERS_LATE]: { kind: 'flow', numerator: 'resolved_late', description: `Dossiers resolved late, ${BY_RECEIPT}.` },
  [AggregateMeasure.DOSSIERS_WITH_FEE]: { kind: 'flow', numerator: 'with_fee', description: 'Dossiers with a fee obligation.' },
  [AggregateMeasure.DOSSIERS_PAID_ONLINE]: { kind: 'flow', numerator: 'paid_online', description: 'Dossiers whose fee was paid online.' },
  [AggregateMeasure.DOSSIERS_SYNCED]: { kind: 'flow', numerator: 'synced_national', description: 'Dossiers synchronised to the national portal (DVCQG).' },
  [AggregateMeasure.SERVICES]: { kind: 'stock', numerator: 'services', description: 'Services in scope: those with a level in force (in the chosen taxonomy) on the date, at units that exist on it.' },
  [AggregateMeasure.SERVICES_ONLINE]: { kind: 'stock', numerator: 'services_online', description: 'Online services: level 3 or 4, partial or full.' },
  [AggregateMeasure.SERVICES_FULL_ONLINE]: { kind: 'stock', numerator: 'services_full', description: 'Full-online services: level 4, full (toàn trình).' },
  [AggregateMeasure.SERVICES_INTEGRATED]: { kind: 'stock', numerator: 'services_integrated', description: 'Online services integrated on the national portal (DVCQG).' },
  [AggregateMeasure.LEVEL4_SHARE]: { kind: 'stock', numerator: 'services_full', denominator: 'services', description: 'Full-online (level 4) services / services in scope.' },
  [AggregateMeasure.LEVEL34_SHARE]: { kind: 'stock', numerator: 'services_online', denominator: 'services', description: 'Online (level 3 or 4) services / services in scope.' },
  [AggregateMeasure.SERVICES_WITH_ONLINE_FILINGS]: {
    kind: 'hybrid', numerator: 'services_online_with_filings', denominator: 'services_online',
    description: 'Online services with at least one online dossier in the period / online services (both on the last day of the period).',
  },
  [AggregateMeasure.ONLINE_DOSSIER_RATE]: { kind: 'flow', numerator: 'received_online', denominator: 'received', description: 'Dossiers received online / all dossiers received (online + in person + postal).' },
  [AggregateMeasure.ON_TIME_RATE]: {
    kind: 'flow', numerator: 'resolved_on_time', denominator: '(resolved_on_time + resolved_late)',
    description: `Dossiers resolved on time / dossiers resolved (on time + late), ${BY_RECEIPT}; by procedure with groupBy PROCEDURE, its counts as DOSSIERS_ON_TIME and DOSSIERS_LATE.`,
  },
  [AggregateMeasure.ONLINE_PAYMENT_RATE]: { kind: 'flow', numerator: 'paid_online', denominator: 'with_fee', description: 'Dossiers paid online / dossiers with a fee obligation.' },
  [AggregateMeasure.DVCQG_INTEGRATION]: { kind: 'stock', numerator: 'services_integrated', denominator: 'services_online', description: 'Online services integrated on DVCQG / online services.' },
  [AggregateMeasure.PROCESSING_DAYS_MEDIAN]: {
    kind: 'days', numerator: 'NULL::float8', percentile: 0.5,
    description: `Median processing time in days (interpolated between the two middle dossiers when their number is even), ${RESOLVED_IN_PERIOD}.`,
  },
  [AggregateMeasure.PROCESSING_DAYS_P90]: {
    kind: 'days', numerator: 'NULL::float8', percentile: 0.9,
    description: `90th percentile of the processing time in days (interpolated as PostgreSQL's percentile_cont), ${RESOLVED_IN_PERIOD}.`,
  },
  [AggregateMeasure.PROCESSING_DAYS_MEAN]: {
    kind: 'days', numerator: 'timed_days', denominator: 'timed',
    description: `Mean processing time in days: total days / dossiers, ${RESOLVED_IN_PERIOD}.`,
  },
  [AggregateMeasure.DOSSIERS_IN_PROGRESS]: { kind: 'open', numerator: 'in_progress', description: `Dossiers in progress ${OPEN_ON_DATE}.` },
  [AggregateMeasure.DOSSIERS_OVERDUE]: {
    kind: 'open', numerator: 'overdue',
    description: `Dossiers overdue: in progress and due (NgayHenTra) before the date, ${OPEN_ON_DATE}.`,
  },
  [AggregateMeasure.OVERDUE_SHARE]: {
    kind: 'open', numerator: 'overdue', denominator: 'in_progress',
    description: `Dossiers overdue / dossiers in progress, ${OPEN_ON_DATE}.`,
  },
};

const MEASURE_KIND_TEXT: Record<MeasureKind, string> = {
  flow: 'Flow over the period.',
  stock: 'Stock on a date.',
  hybrid: 'Over the period.',
  days: 'Over the period, by resolution month.',
  open: 'Dossiers on a date.',
};

registerEnumType(AggregateMeasure, {
  name: 'AggregateMeasure',
  description: 'Measures of an aggregate. Ratios are ratios of sums over each row (never averages of unit ratios) and come with numerator and denominator; a zero denominator gives a null value. See docs/domain.md, "Indicators".',
  valuesConfig: Object.fromEntries(
    Object.entries(AggregateMeasure).map(([name, value]) => {
      const def = MEASURES[value];
      const kind = MEASURE_KIND_TEXT[def.kind];
      const text = def.denominator === undefined ? def.description
        : `Ratio of sums, numerator / denominator: ${def.description[0].toLowerCase()}${def.description.slice(1)}`;
      return [name, { description: `${text} ${kind}` }];
    }),
  ),
});

/** The aggregate measure computing each indicator (plan issuance has its own service). */
export const INDICATOR_MEASURE: Partial<Record<Indicator, AggregateMeasure>> = {
  [Indicator.LEVEL4_SHARE]: AggregateMeasure.LEVEL4_SHARE,
  [Indicator.LEVEL34_SHARE]: AggregateMeasure.LEVEL34_SHARE,
  [Indicator.SERVICES_WITH_ONLINE_FILINGS]: AggregateMeasure.SERVICES_WITH_ONLINE_FILINGS,
  [Indicator.ONLINE_DOSSIER_RATE]: AggregateMeasure.ONLINE_DOSSIER_RATE,
  [Indicator.ON_TIME_RATE]: AggregateMeasure.ON_TIME_RATE,
  [Indicator.ONLINE_PAYMENT_RATE]: AggregateMeasure.ONLINE_PAYMENT_RATE,
  [Indicator.DVCQG_INTEGRATION]: AggregateMeasure.DVCQG_INTEGRATION,
};

export function isRatio(m: AggregateMeasure): boolean {
  return MEASURES[m].denominator !== undefined;
}

/** Whether the measure reads service levels (so a level taxonomy must be chosen). */
export function usesLevels(m: AggregateMeasure): boolean {
  return MEASURES[m].kind === 'stock' || MEASURES[m].kind === 'hybrid';
}

/** Whether the measure is read from the dossier store (days and open measures), not the monthly statistics or service levels. */
export function isDossierMeasure(m: AggregateMeasure): boolean {
  return MEASURES[m].kind === 'days' || MEASURES[m].kind === 'open';
}
