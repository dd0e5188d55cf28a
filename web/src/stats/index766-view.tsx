import { Suspense } from 'react';
import type { IndexChartData } from './charts/index-chart';
import type { Formats } from './format';
import { INDEX766_LABELS, Index766Labels } from './index766-labels';
import type { Labels } from './labels';
import type { Index766, Index766Group, Index766Unit } from './queries';
import { codeWithNote, lifeNote } from './ranked-table';
import { SortHeader, useSortedRows } from './sorting';
import type { PageState } from './url-state';
import { IndexChart } from './viz';

/**
 * The Decision 766 index (issue 13, item 2) for journalists: per province or ministry, each group's
 * computed points beside the national portal's published ones, the computed total and rank beside
 * the published total and rank, and the difference in points. A group the data covers only in
 * part is marked (*), one it cannot cover at all says so: the page shows no point the API did not
 * compute. The API's names of groups and criteria are Vietnamese, its reasons English: each says
 * its language.
 */

/** A column to sort by: rank, name, the totals, or one group's computed (`c:`) or published (`p:`) points. */
type SortKey = 'rank' | 'name' | 'total' | 'published' | 'difference' | 'publishedRank' | `c:${string}` | `p:${string}`;

/** Nothing computed in the group for the unit (every criterion NOT_SUPPORTED or NO_DATA): no points to show. */
const noneComputed = (g: Index766Group) => g.coveredMaxPoints === 0;

function figure(key: SortKey, u: Index766Unit): number | null {
  if (key === 'rank') return u.rank;
  if (key === 'total') return u.coveredMaxPoints === 0 ? null : u.total;
  if (key === 'published') return u.published?.total ?? null;
  if (key === 'difference') return u.published?.differencePoints ?? null;
  if (key === 'publishedRank') return u.published?.rank ?? null;
  const g = u.groups.find((x) => x.code === key.slice(2));
  if (!g) return null;
  return key.startsWith('c:') ? (noneComputed(g) ? null : g.points) : g.publishedPoints;
}

const SORTING = {
  nameKey: 'name' as SortKey,
  name: (u: Index766Unit) => u.unit.name,
  code: (u: Index766Unit) => u.unit.code,
  figure,
  // Points and differences: the highest first; ranks and names from the top.
  descendingFirst: (k: SortKey) => !['rank', 'name', 'publishedRank'].includes(k),
};

/** A group's computed points: the figure, marked * when only part of the group is computed, or "not computed". */
function ComputedCell({ g, l, f }: { g: Index766Group; l: Index766Labels; f: Formats }) {
  if (noneComputed(g)) return <td className="dvc-num dvc-not-computed" data-computed="none">{l.notComputed}</td>;
  const partial = l.partlyComputed(f.count(g.coveredMaxPoints), f.count(g.maxPoints));
  return (
    <td className="dvc-num" data-points={g.points} data-computed={g.fullyComputed ? 'full' : 'partial'}>
      {f.score(g.points)}
      {!g.fullyComputed && <span className="dvc-note" title={partial}> *<span className="dvc-sr">{partial}</span></span>}
    </td>
  );
}

/** A group's published points, with Δ when the group is computed in full and the portal says otherwise (a like-for-like difference). */
function PublishedCell({ g, l, f }: { g: Index766Group; l: Index766Labels; f: Formats }) {
  const real = g.fullyComputed && g.differencePoints !== null && g.differencePoints !== 0;
  return (
    <td className="dvc-num dvc-published" data-published={g.publishedPoints ?? ''}>
      {f.score(g.publishedPoints)}
      {real && (
        <span className="dvc-diff" data-difference={g.differencePoints!} title={l.differenceOfGroup(f.signedScore(g.differencePoints))}>
          {' '}Δ {f.signedScore(g.differencePoints)}<span className="dvc-sr"> ({l.differenceOfGroup(f.signedScore(g.differencePoints))})</span>
        </span>
      )}
    </td>
  );
}

/** What the chart draws: the table's units in computed-rank order. */
function chartData(data: Index766['index766'], unitCode: (u: Index766Unit) => string, l: Index766Labels, f: Formats, state: PageState, when: string): IndexChartData {
  // The legend names the groups with computed points somewhere: a group computed nowhere has no bar (the table says "not computed").
  const groups = (data.units[0]?.groups ?? []).filter((g) => data.units.some((u) => !noneComputed(u.groups.find((x) => x.code === g.code)!))).map((g) => g.name);
  return {
    units: data.units.map((u) => ({
      label: `${u.unit.name} (${unitCode(u)})`,
      groups: u.groups.map((g) => ({ name: g.name, points: noneComputed(g) ? null : g.points })),
      published: u.published?.total ?? null,
    })),
    groups,
    computedMax: data.supportedMaxPoints,
    title: l.index766Chart(when),
    description: l.index766ChartDescription(data.units.length, f.count(data.supportedMaxPoints)),
    computedMaxLabel: l.computedMaxLine(f.count(data.supportedMaxPoints)),
    failed: l.chartFailed,
    lang: state.lang,
  };
}

export function Index766View({ data, state, t, f, when }: { data: Index766; state: PageState; t: Labels; f: Formats; when: string }) {
  const index = data.index766;
  const l = INDEX766_LABELS[state.lang];
  const { sorted, sort, onSort } = useSortedRows(index.units, { key: 'rank', descending: false }, SORTING, state.lang);
  const groups = index.units[0]?.groups ?? [];
  const groupLang = state.lang === 'vi' ? undefined : 'vi';
  const reasonLang = state.lang === 'en' ? undefined : 'en';
  const unsupportedPoints = index.notSupported.reduce((s, c) => s + c.maxPoints, 0);
  // A year or quarter spanning the merger lists the old provinces (to 30 June 2025) and the new: each says when.
  const unitCode = (u: Index766Unit) => codeWithNote(u.unit, lifeNote(u.unit, index.period.start, index.period.end, t, f));
  return (
    <div className="dvc-index766">
      <p className="dvc-hint">{l.index766Reading}</p>
      {!index.weightsConfirmed && <p className="dvc-hint">{l.provisionalWeights}</p>}
      <div className="dvc-table-wrap">
        <table className="dvc-table dvc-index-table" data-table="index766">
          <caption>{l.index766Caption(index.units.length, index.supportedMaxPoints)}</caption>
          <thead>
            <tr>
              <SortHeader label={t.rank} k="rank" sort={sort} onSort={onSort} rowSpan={2} />
              <SortHeader label={t.unit} k="name" sort={sort} onSort={onSort} rowSpan={2} />
              <th scope="colgroup" colSpan={3} className="dvc-group-h">{l.total766}</th>
              <SortHeader label={l.publishedRank} k="publishedRank" sort={sort} onSort={onSort} rowSpan={2} />
              {groups.map((g) => (
                <th key={g.code} scope="colgroup" colSpan={2} className="dvc-group-h" data-group={g.code}>
                  <span lang={groupLang}>{g.name}</span> <span className="dvc-code">({l.groupMax(f.count(g.maxPoints))})</span>
                </th>
              ))}
            </tr>
            <tr>
              <SortHeader label={l.computed} k="total" sort={sort} onSort={onSort} />
              <SortHeader label={l.publishedScore} k="published" sort={sort} onSort={onSort} />
              <SortHeader label={l.differencePoints} k="difference" sort={sort} onSort={onSort} />
              {groups.flatMap((g) => [
                <SortHeader key={`c:${g.code}`} label={l.computed} k={`c:${g.code}`} sort={sort} onSort={onSort} />,
                <SortHeader key={`p:${g.code}`} label={l.publishedScore} k={`p:${g.code}`} sort={sort} onSort={onSort} />,
              ])}
            </tr>
          </thead>
          <tbody>
            {sorted.map((u) => (
              <tr key={u.unit.id} data-unit={u.unit.code}>
                <td className="dvc-num" data-rank={u.rank ?? ''}>{u.rank ?? t.none}</td>
                <th scope="row">{u.unit.name} <span className="dvc-code">({unitCode(u)})</span></th>
                <td className="dvc-num" data-total={u.coveredMaxPoints === 0 ? '' : u.total}>
                  {u.coveredMaxPoints === 0 ? t.none : <>{f.score(u.total)}<span className="dvc-code">/{f.count(u.coveredMaxPoints)}</span></>}
                </td>
                <td className="dvc-num dvc-published" data-published-total={u.published?.total ?? ''}>{f.score(u.published?.total)}</td>
                <td className="dvc-num" data-difference-total={u.published?.differencePoints ?? ''}>{f.signedScore(u.published?.differencePoints)}</td>
                <td className="dvc-num" data-published-rank={u.published?.rank ?? ''}>{u.published?.rank ?? t.none}</td>
                {u.groups.map((g) => [
                  <ComputedCell key={`c:${g.code}`} g={g} l={l} f={f} />,
                  <PublishedCell key={`p:${g.code}`} g={g} l={l} f={f} />,
                ])}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Suspense fallback={<p role="status">{t.loading}</p>}>
        {index.units.length > 0 && <IndexChart data={chartData(index, unitCode, l, f, state, when)} />}
        <p className="dvc-hint"><span aria-hidden="true">◆ </span>{l.publishedDiamond}</p>
      </Suspense>
      {index.notSupported.length > 0 && (
        <div className="dvc-table-wrap">
          <table className="dvc-table" data-table="index766-not-supported">
            <caption>{l.notSupportedCaption(f.count(unsupportedPoints))}</caption>
            <thead>
              <tr>
                <th scope="col">{l.criterion}</th>
                <th scope="col">{l.group}</th>
                <th scope="col" className="dvc-num">{l.maxPoints}</th>
                <th scope="col">{l.reason}</th>
              </tr>
            </thead>
            <tbody>
              {index.notSupported.map((c) => (
                <tr key={c.criterion} data-criterion={c.criterion}>
                  <th scope="row" lang={groupLang}>{c.name}</th>
                  <td lang={groupLang}>{groups.find((g) => g.code === c.group)?.name ?? c.group}</td>
                  <td className="dvc-num">{f.count(c.maxPoints)}</td>
                  <td lang={reasonLang}>{c.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
