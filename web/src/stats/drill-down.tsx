import { useEffect, useRef } from 'react';
import type { Formats } from './format';
import { useGql } from './graphql';
import type { Labels } from './labels';
import { Drill, drillQuery, UnitRef } from './queries';
import { ShareLinks } from './share-links';
import { StateLink } from './state-link';
import type { PageState } from './url-state';

interface DrillDownProps {
  state: PageState;
  /** The unit of the table whose code the URL names (the one valid on the view's date). */
  unit?: UnitRef;
  t: Labels;
  f: Formats;
  indicatorName: string;
  navigate: (patch: Partial<PageState>) => void;
}

/** A province (or ministry) by sector, and a sector by procedure, with the view's indicator. */
export function DrillDown({ state, unit, t, f, indicatorName, navigate }: DrillDownProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  // Opened from a row or a tile far above: the panel comes into view, and keyboard focus with it.
  useEffect(() => {
    heading.current?.focus();
    heading.current?.scrollIntoView({ block: 'start' });
  }, [state.unit]);
  const view = unit ? drillQuery(state, unit.id) : null;
  const answer = useGql<Drill>(view?.query ?? '', view?.variables ?? null);
  const rows = answer.data?.aggregate.rows ?? [];
  const sectorName = state.sector ? rows[0]?.dimensions.sector?.name ?? state.sector : undefined;
  const title = unit ? unit.name : state.unit ?? '';
  const caption = state.sector ? t.drillProceduresCaption(sectorName ?? '', indicatorName) : t.drillSectorsCaption(title, indicatorName);
  return (
    <section className="dvc-drill" aria-labelledby="dvc-drill-h" data-drill={state.unit}>
      <div className="dvc-drill-head">
        <h2 id="dvc-drill-h" ref={heading} tabIndex={-1}>{t.drillTitle(title)}</h2>
        <StateLink state={state} patch={{ unit: undefined, sector: undefined }} navigate={navigate}>
          <span aria-hidden="true">✕ </span>{t.close}
        </StateLink>
      </div>
      {!unit && <p>{t.unitNotFound(state.unit ?? '')}</p>}
      {state.sector && (
        <p>
          <StateLink state={state} patch={{ sector: undefined }} navigate={navigate}>← {t.allSectors}</StateLink>
        </p>
      )}
      {answer.loading && <p role="status">{t.loading}</p>}
      {answer.error && <p role="alert">{t.error}: {answer.error}</p>}
      {answer.data && (
        <>
          <div className="dvc-table-wrap">
            <table className="dvc-table" data-table={state.sector ? 'procedures' : 'sectors'}>
              <caption>{caption}</caption>
              <thead>
                <tr>
                  <th scope="col">{state.sector ? t.procedure : t.sector}</th>
                  <th scope="col">{t.value}</th>
                  <th scope="col">{t.numerator}</th>
                  <th scope="col">{t.denominator}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => {
                  const item = state.sector ? r.dimensions.procedure : r.dimensions.sector;
                  if (!item) return null;
                  return (
                    <tr key={item.code} data-code={item.code}>
                      <th scope="row">
                        {state.sector ? item.name : <StateLink state={state} patch={{ sector: item.code }} navigate={navigate}>{item.name}</StateLink>}
                        <span className="dvc-code"> ({item.code})</span>
                      </th>
                      <td className="dvc-num">{f.percent(r.value?.value)}</td>
                      <td className="dvc-num">{f.count(r.value?.numerator)}</td>
                      <td className="dvc-num">{f.count(r.value?.denominator)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          {answer.data.aggregate.truncated && <p>{t.truncated(rows.length, answer.data.aggregate.totalRows)}</p>}
        </>
      )}
      {view && <ShareLinks view={view} t={t} name={caption} />}
    </section>
  );
}
