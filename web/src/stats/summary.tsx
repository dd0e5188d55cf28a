import type { Formats } from './format';
import type { Labels } from './labels';
import type { TargetCompliance } from './queries';

/** The unit names of a minimum or maximum, shortened past three. */
function unitNames(units: { name: string }[]): string {
  const names = units.map((u) => u.name);
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} +${names.length - 3}` : names.join(', ');
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
        <div data-figure="ratio-of-sums">
          <dt>{t.ratioOfSums}</dt>
          <dd>
            <strong>{f.percent(ratioOfSums.value)}</strong> ({f.count(ratioOfSums.numerator)} / {f.count(ratioOfSums.denominator)})
            <small>{t.ratioOfSumsHelp}</small>
          </dd>
        </div>
        <div data-figure="mean">
          <dt>{t.meanOfRates}</dt>
          <dd>
            <strong>{f.percent(unitRates.meanOfUnitRates)}</strong>
            <small>{t.meanHelp}</small>
          </dd>
        </div>
        <div data-figure="median">
          <dt>{t.median}</dt>
          <dd>
            <strong>{f.percent(unitRates.median)}</strong>
            <small>{t.quartiles}: {f.percent(unitRates.lowerQuartile)} – {f.percent(unitRates.upperQuartile)}</small>
          </dd>
        </div>
        <div data-figure="range">
          <dt>{t.minMax}</dt>
          <dd>
            {unitRates.min ? `${f.percent(unitRates.min.value)} (${unitNames(unitRates.min.units)})` : t.none} –{' '}
            {unitRates.max ? `${f.percent(unitRates.max.value)} (${unitNames(unitRates.max.units)})` : t.none}
            <small>{t.unitsWithValue}: {unitRates.unitsWithValue} / {unitRates.unitsWithValue + unitRates.unitsWithoutValue}</small>
          </dd>
        </div>
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
