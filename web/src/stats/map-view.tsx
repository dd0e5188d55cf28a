import { Suspense } from 'react';
import type { Formats } from './format';
import { FirstViewMark } from './first-view';
import type { Labels } from './labels';
import type { TargetCompliance } from './queries';
import { PageState } from './url-state';
import { TileMap } from './viz';

/** The reform's day: 63 provinces until 30 June 2025, 34 from 1 July. */
export const MERGER_DATE = '2025-07-01';

/** The units that have a tile on the view's date (a flow spanning the merger lists closed units too). */
function onDate<U extends { unit: { validFrom?: string | null; validTo?: string | null } }>(units: U[], date: string): U[] {
  return units.filter((u) => (!u.unit.validFrom || u.unit.validFrom <= date) && (!u.unit.validTo || u.unit.validTo >= date));
}

/** The provinces as tiles coloured by value; a tile opens the drill-down. Ministries have no map. */
export function MapView({ data, state, t, f, title, navigate }: { data: TargetCompliance; state: PageState; t: Labels; f: Formats; title: string; navigate: (p: Partial<PageState>) => void }) {
  const today = new Date().toISOString().slice(0, 10);
  const date = state.unitView === 'CURRENT_UNITS' ? today : data.asOf;
  const layout = state.unitView === 'CURRENT_UNITS' || date >= MERGER_DATE ? '34' : '63';
  const shown = onDate(data.units, date);
  const hidden = data.units.length - shown.length;
  return (
    <div className="dvc-map">
      <p className="dvc-hint">{t.mapHint}</p>
      <Suspense fallback={<p role="status">{t.loading}</p>}>
        <TileMap
          tiles={shown.map((u) => ({ code: u.unit.code, name: u.unit.name, value: u.value, status: u.status }))}
          layout={layout}
          formatValue={(v) => f.percent(v)}
          title={title}
          lang={state.lang}
          selected={state.unit}
          onSelect={(code) => navigate({ unit: code, sector: undefined })}
        />
        <FirstViewMark />
      </Suspense>
      {hidden > 0 && <p className="dvc-hint">{t.mapClosed(hidden)}</p>}
    </div>
  );
}
