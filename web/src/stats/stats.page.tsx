import './stats.page.css';
import { lazy, Suspense, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { Choices } from './choices';
import { DrillDown } from './drill-down';
import { FirstViewMark } from './first-view';
import { formats } from './format';
import { FreshnessPanel } from './freshness';
import { prefetch, QueryCache, QueryCacheContext, Refresh, RefreshContext, useGql } from './graphql';
import { Labels, LABELS, PRESET_SEARCHES } from './labels';
import { useLiveRefresh } from './live';
import { MapView } from './map-view';
import { PlansView } from './plans-view';
import {
  effectivePeriod, Freshness, freshnessQuery, Index766, INDEX766_FACT_KINDS, index766Query, Plans, plansQuery, rankedTableQuery, TargetCompliance, Trend, trendQuery, UnitRef,
} from './queries';
import { RankedTable } from './ranked-table';
import { ShareLinks } from './share-links';
import { Summary } from './summary';
import { pointsByUnit, TrendView } from './trend-view';
import { StateLink } from './state-link';
import { INDICATORS, isIndicatorView, PageState, parseState, PERIOD_PATTERN, useUrlState, View, VIEWS } from './url-state';

/** The 766 index view, a chunk of its own: the first view (the ranked table) does not carry it. */
const Index766View = lazy(() => import('./index766-view').then((m) => ({ default: m.Index766View })));

/** The queries a state of the page runs, each with whether its view needs it. */
function pageQueries(state: PageState) {
  const trend = trendQuery(state);
  return {
    table: { view: rankedTableQuery(state), wanted: isIndicatorView(state.view) || state.unit !== undefined },
    trend: { view: trend, wanted: trend !== null && isIndicatorView(state.view) },
    fresh: { view: freshnessQuery(), wanted: true },
    plans: { view: plansQuery(state), wanted: state.view === 'plans' },
    index766: { view: index766Query(state), wanted: state.view === 'index766' },
  };
}

/**
 * The statistics page for journalists (issue 10, item 1b): one query cache per page, into which
 * the first view's queries are sent at once, in parallel, while React renders (not after).
 */
export default function StatsPage() {
  const [cache] = useState<QueryCache>(() => {
    const fresh: QueryCache = new Map();
    for (const q of Object.values(pageQueries(parseState(location.search)))) if (q.wanted) prefetch(fresh, q.view);
    return fresh;
  });
  // Live refresh (live.ts): each figuresChanged event bumps the generation every query watches.
  const [live, setLive] = useState<{ generation: number; version?: string }>({ generation: 0 });
  // Stable, so that the subscription (keyed by it) is not made again at each event.
  const bump = useCallback((version: string) => setLive((l) => ({ generation: l.generation + 1, version })), []);
  const refresh = useMemo<Refresh>(() => ({ ...live, bump }), [live, bump]);
  return (
    <QueryCacheContext.Provider value={cache}>
      <RefreshContext.Provider value={refresh}>
        <Page />
      </RefreshContext.Provider>
    </QueryCacheContext.Provider>
  );
}

const VIEW_LABELS: Record<View, keyof Labels> = { table: 'viewTable', map: 'viewMap', trend: 'viewTrend', plans: 'viewPlans', index766: 'viewIndex766' };

/** "2025", "Quý 2/2024", "Tháng 05/2024", or "tính đến 31/12/2021" for a stock (the 766 index is always of a period). */
function whenText(state: PageState, t: Labels, date: (iso: string) => string, answeredAsOf?: string): string {
  if (state.view !== 'index766' && !INDICATORS[state.indicator].flow) {
    const asOf = state.asOf ?? answeredAsOf;
    return t.asOfLabel(asOf ? date(asOf) : t.asOfToday);
  }
  const [, year, quarter, month] = PERIOD_PATTERN.exec(effectivePeriod(state)) ?? [];
  if (quarter) return t.quarterLabel(quarter, year);
  if (month) return t.monthLabel(month, year);
  return year;
}

/** "2018–2025": the years a trend query spans. */
function trendYears(variables: Record<string, unknown> | undefined): string {
  const period = variables?.period as { from: string; to: string } | undefined;
  return period ? `${period.from.slice(0, 4)}–${period.to.slice(0, 4)}` : '';
}

/** The table's unit the URL's code names: among same-coded units (a code reused by the merger), the one valid on the view's date. */
function resolveUnit(data: TargetCompliance | undefined, code: string | undefined): UnitRef | undefined {
  if (!data || !code) return undefined;
  const matches = data.units.filter((u) => u.unit.code === code).map((u) => u.unit);
  return matches.find((u) => !u.validTo || u.validTo >= data.asOf) ?? matches[0];
}

function Page() {
  const [state, navigate] = useUrlState();
  const t = LABELS[state.lang];
  const f = useMemo(() => formats(state.lang, LABELS[state.lang].none), [state.lang]);
  useLiveRefresh(state.view === 'index766' ? { kinds: INDEX766_FACT_KINDS } : { indicators: [state.indicator] });
  const { generation, version } = useContext(RefreshContext);

  useEffect(() => {
    document.documentElement.lang = state.lang;
    document.title = `${LABELS[state.lang].title} · dvc-gateway`;
  }, [state.lang]);

  // The first view's queries go out together: the table (what the first view waits for), and
  // the trends and freshness beside it (rendered when they come, never waited for).
  const queries = pageQueries(state);
  const tableView = queries.table.view;
  const table = useGql<{ targetCompliance: TargetCompliance }>(tableView.query, queries.table.wanted ? tableView.variables : null);
  const trendView = queries.trend.view;
  const trend = useGql<Trend>(trendView?.query ?? '', trendView && queries.trend.wanted ? trendView.variables : null);
  const fresh = useGql<Freshness>(queries.fresh.view.query, queries.fresh.view.variables);
  const plansView = queries.plans.view;
  const plans = useGql<Plans>(plansView.query, queries.plans.wanted ? plansView.variables : null);
  const indexView = queries.index766.view;
  const index766 = useGql<Index766>(indexView.query, queries.index766.wanted ? indexView.variables : null);

  const tc = table.data?.targetCompliance;
  const indicatorName = t.indicators[state.indicator];
  const when = whenText(state, t, f.date, tc?.asOf);
  const sparks = useMemo(() => (trend.data ? pointsByUnit(trend.data.aggregate.rows) : undefined), [trend.data]);
  const unit = resolveUnit(tc, state.unit);
  const target = tc?.primaryTarget ? `${tc.primaryTarget.code} (${f.percent(tc.primaryTarget.threshold)})` : t.noTarget;
  const other = state.lang === 'vi' ? 'en' : 'vi';

  const viewTitle = {
    table: t.viewHeading(indicatorName, when),
    map: t.mapTitle(indicatorName, when),
    trend: t.viewHeading(indicatorName, trendYears(trendView?.variables)),
    plans: t.plansTitle(plans.data?.planCompliance.year ?? (plansView.variables.year as number), f.date(plans.data?.planCompliance.asOf ?? (plansView.variables.asOf as string | undefined))),
    index766: t.index766Title(when),
  }[state.view];
  const shared = { plans: plansView, trend: trendView, index766: indexView, table: tableView, map: tableView }[state.view];
  const main = { plans, trend, index766, table, map: table }[state.view];
  const viewSources = { trend: trend.data?.aggregate.sources, index766: index766.data?.index766.sources, plans: tc?.sources, table: tc?.sources, map: tc?.sources }[state.view];

  return (
    <div className="dvc-stats" lang={state.lang} data-live-generation={generation} data-data-version={version}>
      <a className="dvc-skip" href="#dvc-main">{t.skip}</a>
      <header className="dvc-header">
        <div className="dvc-topline">
          <h1>{t.title}</h1>
          <nav aria-label={t.navigation}>
            <a href="graphiql">{t.graphiql}</a>
            <StateLink state={state} patch={{ lang: other }} navigate={navigate} lang={other}>{t.switchLanguage}</StateLink>
          </nav>
        </div>
        <p className="dvc-lead">{t.lead}</p>
      </header>
      <main id="dvc-main" tabIndex={-1}>
        <Choices state={state} t={t} navigate={navigate} answeredAsOf={tc?.asOf} />
        <details className="dvc-presets">
          <summary>{t.questions}</summary>
          <ul>
            {t.presets.map((text, i) => (
              <li key={PRESET_SEARCHES[i]}><a href={`?${PRESET_SEARCHES[i]}${state.lang === 'en' ? '&lang=en' : ''}`}>{text}</a></li>
            ))}
          </ul>
        </details>
        <nav className="dvc-tabs" aria-label={t.views}>
          {VIEWS.map((v) => (
            <StateLink key={v} state={state} patch={{ view: v }} navigate={navigate} current={state.view === v} className="dvc-tab">
              {t[VIEW_LABELS[v]] as string}
            </StateLink>
          ))}
        </nav>
        <div className={state.view === 'index766' ? 'dvc-layout dvc-wide' : 'dvc-layout'}>
        <div className="dvc-primary">
        <section className="dvc-view" aria-labelledby="dvc-view-h" data-view={state.view}>
          <h2 id="dvc-view-h">{viewTitle}</h2>
          {main.loading && <p role="status">{t.loading}</p>}
          {main.error && <p role="alert">{t.error}: {main.error}</p>}
          {state.view === 'table' && tc && (
            <>
              <RankedTable data={tc} state={state} t={t} f={f} caption={t.tableCaption(tc.units.length, target)} sparks={sparks} navigate={navigate} />
              <FirstViewMark />
            </>
          )}
          {state.view === 'map' && tc && (state.tier === 'PROVINCE' ? (
            <MapView data={tc} state={state} t={t} f={f} title={viewTitle} navigate={navigate} />
          ) : (
            <p>
              {t.mapProvincesOnly} <StateLink state={state} patch={{ tier: 'PROVINCE', unit: undefined }} navigate={navigate}>{t.showProvinces}</StateLink>
              <FirstViewMark />
            </p>
          ))}
          {state.view === 'trend' && !trendView && <p>{t.noTrend}</p>}
          {state.view === 'trend' && trend.data && <TrendView trend={trend.data} table={tc} unit={unit} state={state} t={t} title={t.trendTitle(indicatorName)} />}
          {state.view === 'plans' && plans.data && (
            <>
              <PlansView data={plans.data} state={state} t={t} f={f} navigate={navigate} />
              <FirstViewMark />
            </>
          )}
          {state.view === 'index766' && index766.data && (
            <Suspense fallback={<p role="status">{t.loading}</p>}>
              <Index766View data={index766.data} state={state} t={t} f={f} when={when} />
              <FirstViewMark />
            </Suspense>
          )}
          {shared && <ShareLinks view={shared} t={t} name={viewTitle} />}
        </section>
        {state.unit && state.view !== 'index766' && (tc || table.error) && <DrillDown state={state} unit={unit} t={t} f={f} indicatorName={indicatorName} navigate={navigate} />}
        </div>
        <div className="dvc-aside">
          {isIndicatorView(state.view) && tc && <Summary data={tc} t={t} f={f} />}
          <FreshnessPanel data={fresh.data} viewSources={viewSources} t={t} f={f} />
        </div>
        </div>
      </main>
    </div>
  );
}

