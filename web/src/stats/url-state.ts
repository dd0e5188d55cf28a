import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * The page's state lives in the query string (every view is a shareable URL; back and forward
 * work): `view`, `indicator`, `period` (flows and the 766 index) or `asOf` (stocks), `levels`, `unitView`, `tier`,
 * `unit` (drill-down), `sector` (drill-down into procedures), `planYear`, `lang`. Enum values are
 * written in lower case; anything unreadable falls back to its default.
 */
export type View = 'table' | 'map' | 'trend' | 'plans' | 'index766';
export type Lang = 'vi' | 'en';
export type Indicator =
  | 'LEVEL4_SHARE' | 'LEVEL34_SHARE' | 'DVCQG_INTEGRATION' | 'ONLINE_DOSSIER_RATE' | 'ON_TIME_RATE'
  | 'ONLINE_PAYMENT_RATE' | 'SERVICES_WITH_ONLINE_FILINGS' | 'PLAN_ISSUED';
export type LevelView = 'MAPPED_TO_DECREE42' | 'MAPPED_TO_DECREE43' | 'DECREE42' | 'DECREE43';
export type UnitView = 'AS_REPORTED' | 'CURRENT_UNITS';
export type Tier = 'PROVINCE' | 'MINISTRY';

export interface IndicatorInfo {
  /** Summed over a period (dossier rates) rather than counted on a date. */
  flow: boolean;
  /** Reads service levels: a level taxonomy is required. */
  levels: boolean;
  /** The aggregate measure of the same name (trends, sparklines, drill-down); none for plans. */
  measure: string | null;
}

export const INDICATORS: Record<Indicator, IndicatorInfo> = {
  LEVEL4_SHARE: { flow: false, levels: true, measure: 'LEVEL4_SHARE' },
  LEVEL34_SHARE: { flow: false, levels: true, measure: 'LEVEL34_SHARE' },
  DVCQG_INTEGRATION: { flow: false, levels: true, measure: 'DVCQG_INTEGRATION' },
  ONLINE_DOSSIER_RATE: { flow: true, levels: false, measure: 'ONLINE_DOSSIER_RATE' },
  ON_TIME_RATE: { flow: true, levels: false, measure: 'ON_TIME_RATE' },
  ONLINE_PAYMENT_RATE: { flow: true, levels: false, measure: 'ONLINE_PAYMENT_RATE' },
  SERVICES_WITH_ONLINE_FILINGS: { flow: true, levels: true, measure: 'SERVICES_WITH_ONLINE_FILINGS' },
  PLAN_ISSUED: { flow: false, levels: false, measure: null },
};

export const VIEWS: View[] = ['table', 'map', 'trend', 'plans', 'index766'];
/** The views of the chosen indicator (the ranked table's query, the trends, the summary); plans and the 766 index have their own. */
export const isIndicatorView = (v: View) => v === 'table' || v === 'map' || v === 'trend';
export const LEVEL_VIEWS: LevelView[] = ['MAPPED_TO_DECREE42', 'MAPPED_TO_DECREE43', 'DECREE42', 'DECREE43'];

export interface PageState {
  view: View;
  indicator: Indicator;
  /** Flows: "2024", "2024-Q2" or "2024-05"; absent: the previous calendar year. */
  period?: string;
  /** Stocks (and plans): YYYY-MM-DD; absent: today (the server's). */
  asOf?: string;
  levels: LevelView;
  unitView: UnitView;
  tier: Tier;
  unit?: string;
  sector?: string;
  planYear?: number;
  lang: Lang;
}

const DEFAULTS: PageState = { view: 'table', indicator: 'LEVEL4_SHARE', levels: 'MAPPED_TO_DECREE42', unitView: 'AS_REPORTED', tier: 'PROVINCE', lang: 'vi' };

export const PERIOD_PATTERN = /^(\d{4})(?:-Q([1-4])|-(0[1-9]|1[0-2]))?$/;
const DATE_PATTERN = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/** One of `allowed`, read case-insensitively, else undefined. */
function oneOf<T extends string>(raw: string | null, allowed: readonly T[]): T | undefined {
  const up = raw?.toUpperCase();
  return allowed.find((a) => a.toUpperCase() === up);
}

export function parseState(search: string): PageState {
  const p = new URLSearchParams(search);
  const text = (name: string, pattern: RegExp) => {
    const v = p.get(name);
    return v !== null && pattern.test(v) ? v : undefined;
  };
  const planYear = text('planYear', /^\d{4}$/);
  return {
    view: oneOf(p.get('view'), VIEWS) ?? DEFAULTS.view,
    indicator: oneOf(p.get('indicator'), Object.keys(INDICATORS) as Indicator[]) ?? DEFAULTS.indicator,
    period: text('period', PERIOD_PATTERN),
    asOf: text('asOf', DATE_PATTERN),
    levels: oneOf(p.get('levels'), LEVEL_VIEWS) ?? DEFAULTS.levels,
    unitView: oneOf(p.get('unitView'), ['AS_REPORTED', 'CURRENT_UNITS'] as const) ?? DEFAULTS.unitView,
    tier: oneOf(p.get('tier'), ['PROVINCE', 'MINISTRY'] as const) ?? DEFAULTS.tier,
    unit: text('unit', CODE_PATTERN),
    sector: text('sector', CODE_PATTERN),
    planYear: planYear ? Number(planYear) : undefined,
    lang: oneOf(p.get('lang'), ['vi', 'en'] as const) ?? DEFAULTS.lang,
  };
}

/** The query string of a state: defaults left out, so the shortest URL names the same view. */
export function toSearch(s: PageState): string {
  const p = new URLSearchParams();
  const put = (name: keyof PageState, value: string | number | undefined, lower = true) => {
    if (value === undefined || value === DEFAULTS[name]) return;
    p.set(name, lower ? String(value).toLowerCase() : String(value));
  };
  put('view', s.view);
  put('indicator', s.indicator);
  put('period', s.period, false);
  put('asOf', s.asOf, false);
  if (INDICATORS[s.indicator].levels) put('levels', s.levels);
  put('unitView', s.unitView);
  put('tier', s.tier);
  put('unit', s.unit, false);
  put('sector', s.sector, false);
  put('planYear', s.planYear);
  put('lang', s.lang);
  const q = p.toString();
  return q ? `?${q}` : '';
}

/** The href of the page with a patch applied (for links: a view opens in a new tab too). */
export function hrefFor(s: PageState, patch: Partial<PageState>): string {
  return toSearch({ ...s, ...patch }) || location.pathname;
}

/** A link's click handled in the page (plain clicks only: modified clicks open a tab as usual). */
export function isPlainClick(e: { button: number; metaKey: boolean; ctrlKey: boolean; shiftKey: boolean; altKey: boolean }): boolean {
  return e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey;
}

/** The state from the URL, and a navigate() that pushes a new history entry (popstate reads it back). */
export function useUrlState(): [PageState, (patch: Partial<PageState>) => void] {
  const [state, setState] = useState(() => parseState(location.search));
  useEffect(() => {
    const onPop = () => setState(parseState(location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  // The state as last rendered or navigated to: navigate() builds on it without a side effect inside a state updater.
  const current = useRef(state);
  current.current = state;
  const navigate = useCallback((patch: Partial<PageState>) => {
    const next = parseState(toSearch({ ...current.current, ...patch }));
    const search = toSearch(next);
    if (search !== location.search) history.pushState(null, '', search || location.pathname);
    current.current = next;
    setState(next);
  }, []);
  return [state, navigate];
}
