import type { ReactNode } from 'react';
import type { Formats } from './format';
import type { Labels } from './labels';
import type { TargetCompliance } from './queries';

/** The unit names of a minimum or maximum, shortened past three. */
function unitNames(units: { name: string }[]): string {
  const names = units.map((u) => u.name);
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3}` : names.join(', ');
}

/** One figure of the summary: what it is, its value, and a line that says how to read it. */
function Figure({ id, term, help, children }: { id: string; term: string; help: string; children: ReactNode }) {
  return (
    <div data-figure={id}>
      <dt>{term}</dt>
      <dd>
        {children}
        <small>{help}</small>
      </dd>
    </div>
  );
}

/**
 * The tier's figures: the ratio of sums (the nation's own figure) and, labelled apart so the two
 * are never confused, the mean and median of the units' rates; then how many units meet each target.
 */
export function Summary({ data, t, f }: { data: TargetCompliance; t: Labels; f: Formats }) {
  const { ratioOfSums, unitRates } = data.summary;
  return (
    <section className="dvc-summary" aria-labelledby="dvc-summary-h">
      <h2 id="dvc-summary-h">{t.summary}</h2>
      <dl className="dvc-figures">
        <Figure id="ratio-of-sums" term={t.ratioOfSums} help={t.ratioOfSumsHelp}>
          <strong>{f.percent(ratioOfSums.value)}</strong> ({f.count(ratioOfSums.numerator)} / {f.count(ratioOfSums.denominator)})
        </Figure>
        <Figure id="mean" term={t.meanOfRates} help={t.meanHelp}>
          <strong>{f.percent(unitRates.meanOfUnitRates)}</strong>
        </Figure>
        <Figure id="median" term={t.median} help={`${t.quartiles}: ${f.percent(unitRates.lowerQuartile)} – ${f.percent(unitRates.upperQuartile)}`}>
          <strong>{f.percent(unitRates.median)}</strong>
        </Figure>
        <Figure id="range" term={t.minMax} help={`${t.unitsWithValue}: ${unitRates.unitsWithValue} / ${unitRates.unitsWithValue + unitRates.unitsWithoutValue}`}>
          {unitRates.min ? `${f.percent(unitRates.min.value)} (${unitNames(unitRates.min.units)})` : t.none} –{' '}
          {unitRates.max ? `${f.percent(unitRates.max.value)} (${unitNames(unitRates.max.units)})` : t.none}
        </Figure>
      </dl>
      {data.targets.length > 0 && (
        <table className="dvc-table dvc-targets" data-table="targets">
          <caption>{t.meetCounts}</caption>
          <thead>
            <tr>
              <th scope="col">{t.target}</th>
              <th scope="col" className="dvc-num">{t.met}</th>
              <th scope="col" className="dvc-num">{t.missed}</th>
              <th scope="col" className="dvc-num">{t.withoutData}</th>
            </tr>
          </thead>
          <tbody>
            {data.targets.map((tt) => (
              <tr key={tt.target.code} data-target={tt.target.code}>
                <th scope="row">
                  {tt.target.code}
                  <small className="dvc-basis">
                    {f.percent(tt.target.threshold)}, {t.deadline.toLowerCase()} {f.date(tt.target.deadline)}; {tt.inForce ? `✓ ${t.inForce.toLowerCase()}` : `– ${t.notInForce.toLowerCase()}`}
                  </small>
                  <small className="dvc-basis">{tt.target.legalBasis}</small>
                </th>
                <td className="dvc-num">{tt.met}</td>
                <td className="dvc-num">{tt.missed}</td>
                <td className="dvc-num">{tt.withoutData}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
