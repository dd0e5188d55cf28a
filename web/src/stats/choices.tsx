import type { Labels } from './labels';
import { effectivePeriod } from './queries';
import { Indicator, INDICATORS, LEVEL_VIEWS, LevelView, PageState, PERIOD_PATTERN, Tier, UnitView } from './url-state';

/** First year offered: the national portal's statistics start in 2018. */
const FIRST_YEAR = 2018;

type Grain = 'year' | 'quarter' | 'month';

const QUARTERS = ['1', '2', '3', '4'];
const MONTHS = Array.from({ length: 12 }, (_, i) => String(i + 1).padStart(2, '0'));

function splitPeriod(period: string): { year: string; grain: Grain; part: string } {
  const [, year, quarter, month] = PERIOD_PATTERN.exec(period) ?? [];
  if (quarter) return { year, grain: 'quarter', part: quarter };
  if (month) return { year, grain: 'month', part: month };
  return { year: year ?? String(new Date().getFullYear() - 1), grain: 'year', part: '' };
}

/** The period string; switching grain keeps the time: May becomes Q2, Q2 becomes June. */
function joinPeriod(year: string, grain: Grain, part: string): string {
  if (grain === 'quarter') {
    const q = /^\d{2}$/.test(part) ? String(Math.ceil(Number(part) / 3)) : part;
    return `${year}-Q${/^[1-4]$/.test(q) ? q : '4'}`;
  }
  if (grain === 'month') {
    const m = /^[1-4]$/.test(part) ? String(Number(part) * 3).padStart(2, '0') : part;
    return `${year}-${/^\d{2}$/.test(m) ? m : '12'}`;
  }
  return year;
}

/** Decision 766/QĐ-TTg dates from June 2022: the index has no earlier period. */
const INDEX766_FIRST_YEAR = 2022;

function years(first: number): string[] {
  const last = new Date().getFullYear();
  return Array.from({ length: last - first + 1 }, (_, i) => String(last - i));
}

/** The flow's period: year, quarter or month. */
function PeriodChoice({ state, t, navigate, firstYear = FIRST_YEAR }: ChoicesProps & { firstYear?: number }) {
  const { year, grain, part } = splitPeriod(effectivePeriod(state));
  const set = (y: string, g: Grain, p: string) => navigate({ period: joinPeriod(y, g, p), sector: undefined });
  return (
    <fieldset className="dvc-period">
      <legend>{t.period}</legend>
      <label>
        {t.grain}
        <select value={grain} onChange={(e) => set(year, e.target.value as Grain, part)}>
          <option value="year">{t.year}</option>
          <option value="quarter">{t.quarter}</option>
          <option value="month">{t.month}</option>
        </select>
      </label>
      <label>
        {t.year}
        <select value={year} onChange={(e) => set(e.target.value, grain, part)}>
          {years(firstYear).map((y) => <option key={y} value={y}>{y}</option>)}
        </select>
      </label>
      {grain !== 'year' && (
        <label>
          {grain === 'quarter' ? t.quarter : t.month}
          <select value={part} onChange={(e) => set(year, grain, e.target.value)}>
            {(grain === 'quarter' ? QUARTERS : MONTHS).map((p) => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
      )}
    </fieldset>
  );
}

/** Radio buttons for a two-way choice (unit view, tier). */
function Radios<T extends string>({ legend, name, value, options, onChange }: { legend: string; name: string; value: T; options: [T, string][]; onChange: (v: T) => void }) {
  return (
    <fieldset className="dvc-radios">
      <legend>{legend}</legend>
      {options.map(([v, label]) => (
        <label key={v}>
          <input type="radio" name={name} value={v} checked={value === v} onChange={() => onChange(v)} />
          {label}
        </label>
      ))}
    </fieldset>
  );
}

interface ChoicesProps {
  state: PageState;
  t: Labels;
  navigate: (patch: Partial<PageState>) => void;
  /** The date the answer was read on (stocks without an asOf: the server's today). */
  answeredAsOf?: string;
}

/** The plans view is judged on its own year and date: only the tier applies to it. */
function TierChoice({ state, t, change }: { state: PageState; t: Labels; change: (p: Partial<PageState>) => void }) {
  return (
    <Radios<Tier>
      legend={t.tier}
      name="tier"
      value={state.tier}
      options={[['PROVINCE', t.provinces], ['MINISTRY', t.ministries]]}
      // A province's code means nothing among ministries: the drill-down closes.
      onChange={(tier) => change({ tier, unit: undefined })}
    />
  );
}

/** Indicator, period or date, level taxonomy, unit view, tier. */
export function Choices(props: ChoicesProps) {
  const { state, t, navigate, answeredAsOf } = props;
  const info = INDICATORS[state.indicator];
  // Changing what is measured closes a sector's procedures (the drill-down's unit stays open).
  const change = (patch: Partial<PageState>) => navigate({ ...patch, sector: undefined });
  if (state.view === 'plans') {
    return (
      <form className="dvc-choices" aria-label={t.choices} onSubmit={(e) => e.preventDefault()}>
        <TierChoice state={state} t={t} change={change} />
      </form>
    );
  }
  // The 766 index: a month, quarter or year from the decision's, of the provinces or the ministries.
  if (state.view === 'index766') {
    return (
      <form className="dvc-choices" aria-label={t.choices} onSubmit={(e) => e.preventDefault()}>
        <PeriodChoice {...props} firstYear={INDEX766_FIRST_YEAR} />
        <TierChoice state={state} t={t} change={change} />
      </form>
    );
  }
  return (
    <form className="dvc-choices" aria-label={t.choices} onSubmit={(e) => e.preventDefault()}>
      <label>
        {t.indicator}
        <select value={state.indicator} onChange={(e) => change({ indicator: e.target.value as Indicator })}>
          {(Object.keys(INDICATORS) as Indicator[]).map((i) => <option key={i} value={i}>{t.indicators[i]}</option>)}
        </select>
      </label>
      {info.flow ? (
        <PeriodChoice {...props} />
      ) : (
        <label>
          {t.asOf}
          <input
            type="date"
            value={state.asOf ?? answeredAsOf ?? ''}
            min={`${FIRST_YEAR}-01-01`}
            onChange={(e) => change({ asOf: e.target.value || undefined })}
          />
        </label>
      )}
      {info.levels && (
        <label>
          {t.levels}
          <select value={state.levels} onChange={(e) => change({ levels: e.target.value as LevelView })}>
            {LEVEL_VIEWS.map((l) => <option key={l} value={l}>{t.levelViews[l]}</option>)}
          </select>
        </label>
      )}
      <Radios<UnitView>
        legend={t.unitView}
        name="unitView"
        value={state.unitView}
        options={[['AS_REPORTED', t.asReported], ['CURRENT_UNITS', t.currentUnits]]}
        onChange={(unitView) => change({ unitView })}
      />
      <TierChoice state={state} t={t} change={change} />
    </form>
  );
}
