import { registerEnumType } from 'type-graphql';
import { UnitKind } from '../units/unit.entity';

/** What an aggregate can be grouped (and ordered) by. */
export enum AggregateDimension {
  UNIT = 'unit',
  UNIT_KIND = 'unit_kind',
  PROVINCE = 'province',
  SECTOR = 'sector',
  PROCEDURE = 'procedure',
  ESSENTIAL = 'essential',
  ELIGIBLE = 'eligible',
  LEVEL = 'level',
  PERIOD = 'period',
}
registerEnumType(AggregateDimension, {
  name: 'AggregateDimension',
  description: 'Dimensions of an aggregate.',
  valuesConfig: {
    UNIT: { description: 'The unit at `unitTier` (a commune\'s figures count towards its province at tier PROVINCE). Figures of units above the tier fall in a row with a null unit.' },
    UNIT_KIND: { description: 'Kind of the unit that reported the figure.' },
    PROVINCE: { description: 'The province the figure belongs to (null for ministries).' },
    SECTOR: { description: "The procedure's sector (lĩnh vực)." },
    PROCEDURE: { description: 'The administrative procedure.' },
    ESSENTIAL: { description: 'Whether the procedure is one of the 25 essential services (Đề án 06).' },
    ELIGIBLE: { description: 'Whether the procedure is eligible for full online provision.' },
    LEVEL: { description: 'Online level in the taxonomy chosen by `levels` (for dossier counts: the level of their service at the end of the month).' },
    PERIOD: { description: 'Month, quarter or year (`periodGrain`). Stock measures are taken on the last day of each period.' },
  },
});

/** Period granularity. Filing statistics are monthly: DAY and WEEK are named only to be refused clearly. */
export enum PeriodGrain {
  DAY = 'day',
  WEEK = 'week',
  MONTH = 'month',
  QUARTER = 'quarter',
  YEAR = 'year',
}
registerEnumType(PeriodGrain, {
  name: 'PeriodGrain',
  description: 'Granularity of the PERIOD dimension. The data is monthly: DAY and WEEK are refused with BAD_USER_INPUT.',
});

export const SUPPORTED_GRAINS = [PeriodGrain.MONTH, PeriodGrain.QUARTER, PeriodGrain.YEAR] as const;
export type Grain = (typeof SUPPORTED_GRAINS)[number];

/** Months per bucket of each supported grain. */
export const GRAIN_MONTHS: Record<Grain, number> = { [PeriodGrain.MONTH]: 1, [PeriodGrain.QUARTER]: 3, [PeriodGrain.YEAR]: 12 };

/** Which online-level taxonomy level measures are read in (docs/domain.md, "Online levels: two taxonomies"). */
export enum LevelView {
  DECREE43 = 'decree43',
  DECREE42 = 'decree42',
  MAPPED_TO_DECREE43 = 'mapped_to_decree43',
  MAPPED_TO_DECREE42 = 'mapped_to_decree42',
}
registerEnumType(LevelView, {
  name: 'LevelView',
  description: 'How service levels are read: Decree 43/2011 levels 1-4 (until 2022) or Decree 42/2022 levels info/partial/full, as '
    + 'reported or mapped from one to the other (each value says how). See docs/domain.md, "Online levels: two taxonomies".',
  valuesConfig: {
    DECREE43: { description: 'Levels 1-4 as reported under Decree 43; services whose level in force was reported under Decree 42 are left out.' },
    DECREE42: { description: 'info/partial/full as reported under Decree 42; services whose level in force was reported under Decree 43 are left out.' },
    MAPPED_TO_DECREE43: { description: 'Every service, Decree 42 levels mapped to Decree 43: info → 2, partial → 3, full → 4.' },
    MAPPED_TO_DECREE42: { description: 'Every service, Decree 43 levels mapped to Decree 42: 1 and 2 → info, 3 → partial, 4 → full, except a level-4 service whose procedure is not eligible for full online provision, which counts as partial.' },
  },
});

/** How figures of units closed by a merger are attributed. */
export enum UnitView {
  AS_REPORTED = 'as_reported',
  CURRENT_UNITS = 'current_units',
}
registerEnumType(UnitView, {
  name: 'UnitView',
  description: 'How figures of units closed by a merger (the 2025 reform, ministry restructuring) are attributed.',
  valuesConfig: {
    AS_REPORTED: { description: 'To the unit that reported them: old provinces before 1 July 2025, new ones after.' },
    CURRENT_UNITS: {
      description: "To today's units, following the lineage: a fully merged unit's figures go wholly to its successor; a partially merged unit's go wholly to one successor (the one keeping its code, else the lowest code), never split or counted twice, and rows relying on that choice say includesPartialMerges.",
    },
  },
});

/** Kinds of unit that sit directly below the nation: the rollups are keyed by them. */
export const TOP_TIERS: readonly UnitKind[] = [UnitKind.NATION, UnitKind.PROVINCE, UnitKind.MINISTRY];

/** Column of unit_map holding a unit's ancestor of `kind` (as reported or in today's units). */
export function tierColumn(kind: UnitKind, current: boolean): string {
  return `${current ? 'cur_' : ''}${kind}_id`;
}

export const ONLINE_LEVELS = ['3', '4', 'partial', 'full'];
export const FULL_LEVELS = ['4', 'full'];

/**
 * The level of a service as the view reads it, from its reported taxonomy and level and whether
 * its procedure is eligible for full online provision. Null when an as-reported view leaves it out.
 */
export function levelSql(view: LevelView, taxonomy: string, level: string, eligible: string): string {
  switch (view) {
    case LevelView.DECREE43:
      return `(CASE WHEN ${taxonomy} = 'decree43' THEN ${level} END)`;
    case LevelView.DECREE42:
      return `(CASE WHEN ${taxonomy} = 'decree42' THEN ${level} END)`;
    case LevelView.MAPPED_TO_DECREE43:
      return `(CASE WHEN ${taxonomy} = 'decree43' THEN ${level} WHEN ${level} = 'info' THEN '2' WHEN ${level} = 'partial' THEN '3' WHEN ${level} = 'full' THEN '4' END)`;
    case LevelView.MAPPED_TO_DECREE42:
      return `(CASE WHEN ${taxonomy} = 'decree42' THEN ${level} WHEN ${level} IN ('1', '2') THEN 'info' WHEN ${level} = '3' THEN 'partial'
        WHEN ${level} = '4' AND ${eligible} THEN 'full' WHEN ${level} = '4' THEN 'partial' END)`;
  }
}

/** The level values a view can produce, to check a LEVEL filter. */
export const VIEW_LEVELS: Record<LevelView, readonly string[]> = {
  [LevelView.DECREE43]: ['1', '2', '3', '4'],
  [LevelView.MAPPED_TO_DECREE43]: ['1', '2', '3', '4'],
  [LevelView.DECREE42]: ['info', 'partial', 'full'],
  [LevelView.MAPPED_TO_DECREE42]: ['info', 'partial', 'full'],
};
