import { Suspense } from 'react';
import type { Formats } from './format';
import type { Labels } from './labels';
import type { TargetCompliance, UnitCompliance, UnitRef } from './queries';
import { SortHeader, useSortedRows } from './sorting';
import { StatusBadge } from './status';
import { StateLink } from './state-link';
import type { PageState } from './url-state';
import { Sparkline } from './viz';

export type SparkPoints = Map<string, { label: string; value: number | null }[]>;

type SortKey = 'rank' | 'name' | 'value' | 'gap';

const SORTING = {
  nameKey: 'name' as SortKey,
  name: (u: UnitCompliance) => u.unit.name,
  code: (u: UnitCompliance) => u.unit.code,
  figure: (key: SortKey, u: UnitCompliance) => (key === 'rank' ? u.rank : key === 'value' ? u.value : u.gapPoints),
  descendingFirst: (key: SortKey) => key === 'value',
};

/**
 * When the unit closed or opened within the view (as reported over a period spanning the merger,
 * old and new Phú Thọ both hold code 25): its dates, so the two rows are told apart. `from` is the
 * view's first day (none for a stock), `to` its last.
 */
export function lifeNote(unit: UnitRef, from: string | null, to: string, t: Labels, f: Formats): string | null {
  if (unit.validTo && unit.validTo < to) return t.untilDate(f.date(unit.validTo));
  if (unit.validFrom && from && unit.validFrom > from) return t.fromDate(f.date(unit.validFrom));
  return null;
}

/** "25" or "25, đến 30/6/2025": the code in a row's name, with its life note. */
export function codeWithNote(unit: UnitRef, note: string | null): string {
  return note ? `${unit.code}, ${note}` : unit.code;
}

interface RankedTableProps {
  data: TargetCompliance;
  state: PageState;
  t: Labels;
  f: Formats;
  caption: string;
  sparks?: SparkPoints;
  navigate: (patch: Partial<PageState>) => void;
}

/** Every unit of the tier: rank, value with numerator and denominator, the primary target's status and gap, other targets, trend. */
export function RankedTable({ data, state, t, f, caption, sparks, navigate }: RankedTableProps) {
  const { sorted: rows, sort, onSort } = useSortedRows(data.units, { key: 'rank', descending: false }, SORTING, state.lang);
  // Judgments against the other targets in force, when the indicator has several.
  // (Targets not in force are never judged, so never shown as missed: they stay in the summary's list.)
  const others = data.targets.map((tt, i) => ({ code: tt.target.code, inForce: tt.inForce, i })).filter((o) => o.inForce && o.code !== data.primaryTarget?.code);
  const threshold = data.primaryTarget?.threshold;
  // An indicator without any target (dossier rates) has no status to show: the columns go.
  const judged = data.targets.length > 0;
  return (
    <div className="dvc-table-wrap">
      <table className="dvc-table" data-table="ranked">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <SortHeader label={t.rank} k="rank" sort={sort} onSort={onSort} />
            <SortHeader label={t.unit} k="name" sort={sort} onSort={onSort} />
            <SortHeader label={t.value} k="value" sort={sort} onSort={onSort} />
            <th scope="col">{t.numerator}</th>
            <th scope="col">{t.denominator}</th>
            {judged && <th scope="col">{t.status}</th>}
            {judged && <SortHeader label={t.gap} k="gap" sort={sort} onSort={onSort} />}
            {others.length > 0 && <th scope="col">{t.otherTargets}</th>}
            <th scope="col">{t.trend}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((u) => (
            <tr key={u.unit.id} data-unit={u.unit.code} aria-current={state.unit === u.unit.code ? 'true' : undefined}>
              <td className="dvc-num">{u.rank ?? t.none}</td>
              <th scope="row">
                <StateLink state={state} patch={{ unit: u.unit.code, sector: undefined }} navigate={navigate}>{u.unit.name}</StateLink>
                <span className="dvc-code"> ({codeWithNote(u.unit, lifeNote(u.unit, data.from && `${data.from}-01`, data.asOf, t, f))})</span>
                {u.includesPartialMerges && <span className="dvc-note" title={t.partialMerge}> *<span className="dvc-sr">{t.partialMerge}</span></span>}
              </th>
              <td className="dvc-num" data-value={u.value ?? ''}>{f.percent(u.value)}</td>
              <td className="dvc-num" data-numerator={u.numerator ?? ''}>{f.count(u.numerator)}</td>
              <td className="dvc-num" data-denominator={u.denominator ?? ''}>{f.count(u.denominator)}</td>
              {judged && <td data-primary><StatusBadge status={u.status} t={t} /></td>}
              {judged && <td className="dvc-num">{f.points(u.gapPoints)}</td>}
              {others.length > 0 && (
                <td className="dvc-others">
                  {others.map((o) => {
                    const j = u.judgments[o.i];
                    return j ? (
                      <span key={o.code} className="dvc-judgment">
                        {o.code}: <StatusBadge status={j.status} t={t} />
                        {j.gapPoints ? ` (−${f.points(j.gapPoints)} ${t.points})` : ''}
                      </span>
                    ) : null;
                  })}
                </td>
              )}
              <td className="dvc-spark">
                {sparks?.has(u.unit.id) && (
                  <Suspense fallback={null}>
                    <Sparkline points={sparks.get(u.unit.id)!} target={threshold} title={`${t.trend}: ${u.unit.name}`} />
                  </Suspense>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
