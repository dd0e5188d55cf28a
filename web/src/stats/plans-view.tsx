import { useState } from 'react';
import type { Formats } from './format';
import type { Labels } from './labels';
import type { Plans, PlanStatus } from './queries';
import { StatusBadge } from './status';
import type { PageState } from './url-state';

/** Not issued first (overdue, then not yet due), then issued late, then on time. */
const ORDER: Record<PlanStatus, number> = { OVERDUE: 0, PENDING: 1, ISSUED_LATE: 2, ISSUED: 3 };

/** Who has not issued the year's plan as of a date: every unit of the tier with its status. */
export function PlansView({ data, state, t, f, navigate }: { data: Plans; state: PageState; t: Labels; f: Formats; navigate: (p: Partial<PageState>) => void }) {
  const [onlyMissing, setOnlyMissing] = useState(false);
  const pc = data.planCompliance;
  const units = [...pc.units]
    .filter((u) => !onlyMissing || u.status === 'OVERDUE' || u.status === 'PENDING')
    .sort((a, b) => ORDER[a.status] - ORDER[b.status] || a.unit.code.localeCompare(b.unit.code));
  const thisYear = new Date().getFullYear();
  return (
    <div className="dvc-plans">
      <div className="dvc-plans-choices">
        <label>
          {t.planYear}
          <select value={pc.year} onChange={(e) => navigate({ planYear: Number(e.target.value) })}>
            {Array.from({ length: thisYear - 2018 + 1 }, (_, i) => thisYear - i).map((y) => <option key={y} value={y}>{y}</option>)}
          </select>
        </label>
        <label>
          {t.asOf}
          <input type="date" value={state.asOf ?? pc.asOf} onChange={(e) => navigate({ asOf: e.target.value || undefined })} />
        </label>
        <label className="dvc-check">
          <input type="checkbox" checked={onlyMissing} onChange={(e) => setOnlyMissing(e.target.checked)} />
          {t.onlyNotIssued}
        </label>
      </div>
      <p data-plan-counts>{t.planCounts(pc.counts)}</p>
      <div className="dvc-table-wrap">
        <table className="dvc-table" data-table="plans">
          <caption>{t.plansCaption(pc.year)} ({f.date(pc.asOf)})</caption>
          <thead>
            <tr>
              <th scope="col">{t.unit}</th>
              <th scope="col">{t.planStatus}</th>
              <th scope="col">{t.deadline}</th>
              <th scope="col">{t.issuedOn}</th>
              <th scope="col">{t.documentNumber}</th>
              <th scope="col">{t.daysOverdue}</th>
            </tr>
          </thead>
          <tbody>
            {units.map((u) => (
              <tr key={u.unit.code} data-unit={u.unit.code}>
                <th scope="row">{u.unit.name} <span className="dvc-code">({u.unit.code})</span></th>
                <td><StatusBadge status={u.status} t={t} /></td>
                <td>{f.date(u.deadline)}</td>
                <td>{f.date(u.issuedOn)}</td>
                <td>{u.documentNumber ?? t.none}</td>
                <td className="dvc-num">{u.daysOverdue ?? t.none}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
