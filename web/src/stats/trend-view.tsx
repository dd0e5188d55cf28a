import { Suspense } from 'react';
import { FirstViewMark } from './first-view';
import type { Labels } from './labels';
import type { TargetCompliance, Trend, TrendRow, UnitRef } from './queries';
import type { PageState } from './url-state';
import { TrendChart } from './viz';

/** The ministries' restructuring (1 March 2025) is their merger; the provinces' is the reform of 1 July 2025. */
export function mergerDateOf(state: PageState): string {
  return state.tier === 'MINISTRY' ? '2025-03-01' : '2025-07-01';
}

export interface TrendPoint {
  label: string;
  start: string;
  value: number | null;
}

/** Each unit's points (by unit id: codes are reused across the merger), oldest first. */
export function pointsByUnit(rows: TrendRow[]): Map<string, TrendPoint[]> {
  const byUnit = new Map<string, TrendPoint[]>();
  for (const r of rows) {
    const unit = r.dimensions.unit;
    if (!unit) continue; // figures above the tier (the ministries' among provinces)
    const list = byUnit.get(unit.id) ?? [];
    list.push({ label: r.dimensions.period.label, start: r.dimensions.period.start, value: r.value?.value ?? null });
    byUnit.set(unit.id, list);
  }
  for (const list of byUnit.values()) list.sort((a, b) => a.start.localeCompare(b.start));
  return byUnit;
}

/** The nation (ratio of sums of the tier's units), the units' median, and the chosen unit, with the targets as lines. */
export function TrendView({ trend, table, unit, state, t, title }: { trend: Trend; table?: TargetCompliance; unit?: UnitRef; state: PageState; t: Labels; title: string }) {
  const periods = [...trend.aggregate.distribution].sort((a, b) => a.dimensions.period.start.localeCompare(b.dimensions.period.start));
  const series = [
    { name: t.nation, points: periods.map((d) => ({ label: d.dimensions.period.label, start: d.dimensions.period.start, value: d.ratioOfSums.value })) },
    { name: t.medianSeries, points: periods.map((d) => ({ label: d.dimensions.period.label, start: d.dimensions.period.start, value: d.unitRates.median })) },
  ];
  if (unit) series.push({ name: unit.name, points: pointsByUnit(trend.aggregate.rows).get(unit.id) ?? [] });
  const targets = (table?.targets ?? []).map((tt) => ({ label: tt.target.code, value: tt.target.threshold }));
  return (
    <div className="dvc-trend">
      {!unit && <p className="dvc-hint">{t.trendHint}</p>}
      <Suspense fallback={<p role="status">{t.loading}</p>}>
        <TrendChart series={series} targets={targets} percent title={title} mergerDate={mergerDateOf(state)} lang={state.lang} />
        <FirstViewMark />
      </Suspense>
    </div>
  );
}
