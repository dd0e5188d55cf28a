import { DocumentNode, getOperationAST, Kind, OperationDefinitionNode, parse, TypeNode } from 'graphql';

/**
 * Saved views: named queries a spreadsheet can be fetched from by URL,
 * `/export/<name>.csv?year=2024&unitView=AS_REPORTED`. Each query string parameter names one of
 * the operation's variables (its value converted by the variable's type, then coerced and checked
 * by GraphQL as usual); `year` is also accepted for a `$period` variable, as its twelve months.
 */
export interface SavedView {
  name: string;
  /** What it holds, for the list at /export/views.json. */
  title: string;
  query: string;
}

export const SAVED_VIEWS: SavedView[] = [
  {
    name: 'provinces',
    title: 'Every province (or ministry, tier=MINISTRY) with its level-4 share, online, on-time and online-payment rates and dossiers received, best level-4 share first',
    query: `query Provinces($period: PeriodRange, $asOf: LocalDate, $unitView: UnitView = CURRENT_UNITS, $levels: LevelView = MAPPED_TO_DECREE42, $tier: UnitKind = PROVINCE) {
  aggregate(query: {
    measures: [LEVEL4_SHARE, ONLINE_DOSSIER_RATE, ON_TIME_RATE, ONLINE_PAYMENT_RATE, DOSSIERS_RECEIVED]
    groupBy: [UNIT], unitTier: $tier, unitView: $unitView, levels: $levels, period: $period, asOf: $asOf
    includeEmptyUnits: true, limit: 200
    orderBy: [{ measure: LEVEL4_SHARE, direction: DESC }]
  }) {
    rows { dimensions { unit { code name validFrom validTo } } measures { measure value numerator denominator } }
  }
}`,
  },
  {
    name: 'national-trend',
    title: 'The nation month by month: dossiers received, online and on-time rates',
    query: `query NationalTrend($period: PeriodRange, $unitView: UnitView = CURRENT_UNITS) {
  aggregate(query: {
    measures: [DOSSIERS_RECEIVED, ONLINE_DOSSIER_RATE, ON_TIME_RATE, ONLINE_PAYMENT_RATE]
    groupBy: [PERIOD], periodGrain: MONTH, period: $period, unitView: $unitView, limit: 1200
  }) {
    rows { dimensions { period { label start end } } measures { measure value numerator denominator } }
  }
}`,
  },
  {
    name: 'plans',
    title: "Who issued the year's plan for online public services, and who is overdue",
    query: `query Plans($year: Int!, $asOf: LocalDate, $kinds: [UnitKind!] = [PROVINCE]) {
  planCompliance(year: $year, asOf: $asOf, kinds: $kinds) {
    units { unit { code name } status deadline issuedOn documentNumber title daysOverdue }
  }
}`,
  },
  {
    name: 'target-compliance',
    title: 'Every province (or ministry, tier=ministry) against the targets of an indicator (or one target): rank, status, value, numerator, denominator, gap in points',
    query: `query TargetComplianceView($indicator: Indicator, $target: String, $period: PeriodRange, $asOf: LocalDate, $tier: UnitKind = PROVINCE, $unitView: UnitView = AS_REPORTED, $levels: LevelView, $planYear: Int) {
  targetCompliance(indicator: $indicator, target: $target, period: $period, asOf: $asOf, tier: $tier, unitView: $unitView, levels: $levels, planYear: $planYear) {
    units { rank unit { code name validFrom validTo } status value numerator denominator gapPoints }
  }
}`,
  },
  {
    name: 'sources',
    title: 'Every source with its status and freshness',
    query: `query Sources {
  sources { code name kind status precedence lastAttemptAt lastSuccessAt lastRows nextSyncAt lastError }
}`,
  },
];

/** A query string parameter that names no variable of the view, or a value that cannot be one. */
export class ViewParameterError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

/** A saved view, parsed once (the registry lives as long as the app: startApp builds it). */
export interface ParsedView extends SavedView {
  operation: OperationDefinitionNode;
}

export class SavedViews {
  private readonly byName = new Map<string, ParsedView>();

  constructor(views: SavedView[] = SAVED_VIEWS) {
    for (const v of views) {
      const doc: DocumentNode = parse(v.query);
      const operation = getOperationAST(doc);
      if (!operation || operation.operation !== 'query') throw new Error(`saved view ${v.name}: one query expected`);
      this.byName.set(v.name, { ...v, operation });
    }
  }

  get(name: string): ParsedView | undefined {
    return this.byName.get(name);
  }

  list(): { name: string; title: string; variables: string[] }[] {
    return [...this.byName.values()].map((v) => ({ name: v.name, title: v.title, variables: variableNames(v.operation) }));
  }
}

function variableNames(op: OperationDefinitionNode): string[] {
  return (op.variableDefinitions ?? []).map((d) => d.variable.name.value);
}

/** The named type under NonNull and List wrappers, and whether a list is expected. */
function namedType(type: TypeNode): { name: string; list: boolean } {
  if (type.kind === Kind.NON_NULL_TYPE) return namedType(type.type);
  if (type.kind === Kind.LIST_TYPE) return { name: namedType(type.type).name, list: true };
  return { name: type.name.value, list: false };
}

/** GraphQL's built-in scalars: their values are never upper-cased like an enum value (nor are custom scalars', which do not start with a letter). */
const BUILT_IN_SCALARS = new Set(['String', 'ID', 'Boolean', 'Int', 'Float']);

/**
 * A query string value as the variable's type reads it: numbers and booleans parsed, enum values
 * written in lower case upper-cased, anything else (dates, codes) kept as text; lists
 * comma-separated. A value that does not parse stays text, so that GraphQL's coercion refuses it
 * naming the variable.
 */
function valueFor(type: TypeNode, text: string): unknown {
  const { name, list } = namedType(type);
  const one = (s: string): unknown => {
    // Enum values as a URL writes them (indicator=level4_share, tier=province): GraphQL's names are upper case.
    if (!BUILT_IN_SCALARS.has(name) && /^[a-z][a-z0-9_]*$/.test(s)) return s.toUpperCase();
    if ((name === 'Int' && /^-?\d{1,10}$/.test(s)) || (name === 'Float' && s.trim() !== '' && Number.isFinite(Number(s)))) return Number(s);
    if (name === 'Boolean' && (s === 'true' || s === 'false')) return s === 'true';
    return s;
  };
  return list ? text.split(',').map((s) => one(s.trim())) : one(text);
}

/** `year=2024` for a `$period` variable: its months January to December. */
function yearPeriod(text: string, minYear: number, maxYear: number): { from: string; to: string } {
  if (!/^\d{4}$/.test(text) || Number(text) < minYear || Number(text) > maxYear) {
    throw new ViewParameterError('year', `must be a year from ${minYear} to ${maxYear}, got ${JSON.stringify(text.slice(0, 20))}`);
  }
  return { from: `${text}-01`, to: `${text}-12` };
}

/** The view's variables from the query string; throws ViewParameterError naming the first unknown or repeated parameter. */
export function viewVariables(view: ParsedView, params: URLSearchParams, years: { minYear: number; maxYear: number }): Record<string, unknown> {
  const defs = new Map((view.operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d]));
  const variables: Record<string, unknown> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    if (values.length > 1) throw new ViewParameterError(name, 'given more than once');
    const def = defs.get(name);
    if (def) {
      variables[name] = valueFor(def.type, values[0]);
    } else if (name === 'year' && defs.has('period') && !params.has('period')) {
      variables.period = yearPeriod(values[0], years.minYear, years.maxYear);
    } else {
      const accepted = [...defs.keys(), ...(defs.has('period') ? ['year'] : [])];
      throw new ViewParameterError(name, `unknown parameter of view "${view.name}" (accepted: ${accepted.join(', ') || 'none'})`);
    }
  }
  return variables;
}
