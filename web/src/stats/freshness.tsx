import type { Formats } from './format';
import type { Labels } from './labels';
import type { Freshness, SourceRef } from './queries';

/** Data as of when, which sources fed the view, and each one's health. */
export function FreshnessPanel({ data, viewSources, t, f }: { data?: Freshness; viewSources?: SourceRef[]; t: Labels; f: Formats }) {
  const byCode = new Map((data?.sources ?? []).map((s) => [s.code, s]));
  const coverage = data?.filings.coverage;
  return (
    <aside className="dvc-freshness" aria-labelledby="dvc-freshness-h">
      <h2 id="dvc-freshness-h">{t.freshness}</h2>
      {!data && <p role="status">{t.loading}</p>}
      {coverage && (
        <dl>
          <div>
            <dt>{t.lastMonth}</dt>
            <dd data-last-month>{coverage.lastMonthWithData ?? t.none}</dd>
          </div>
          <div>
            <dt>{t.lastIngest}</dt>
            <dd>{f.dateTime(coverage.lastIngestAt)}</dd>
          </div>
        </dl>
      )}
      {viewSources && (
        <>
          <h3>{t.sourcesOfView}</h3>
          <ul className="dvc-sources">
            {viewSources.map((s) => {
              const full = byCode.get(s.code);
              const status = (full?.status ?? 'NONE') as keyof Labels['sourceStatus'];
              return (
                <li key={s.code} data-source={s.code} data-source-status={status}>
                  <span className={`dvc-source-dot dvc-source-${status.toLowerCase()}`} aria-hidden="true" />
                  <strong>{full?.name ?? s.code}</strong> <span className="dvc-code">({s.code}, {s.kind})</span>: {t.sourceStatus[status]}
                  {full?.lastSuccessAt && `; ${t.lastSuccess} ${f.dateTime(full.lastSuccessAt)}`}
                </li>
              );
            })}
          </ul>
        </>
      )}
    </aside>
  );
}
