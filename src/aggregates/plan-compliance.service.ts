import { Sql } from '../db/sql';
import { UnitKind } from '../units/unit.entity';
import { validOnSql } from '../units/unit-validity';
import { UnitRow, unitRefOf } from './aggregate.types';
import { PlanCompliance, PlanStatus } from './plan-compliance.types';
import { runReadQuery } from './read-query';

interface Row extends UnitRow {
  document_number: string | null; title: string | null; issued_on: string | null; deadline: string | null; status: PlanStatus; days_overdue: number | null;
}

/** Plan issuance on a date, for units valid on it, named as in the plan year (its last day, or the date if earlier; as reported: a plan belongs to the unit that issued it). */
export class PlanComplianceService {
  constructor(private readonly sql: Sql, private readonly timeoutMs: number) {}

  async compliance(year: number, asOf: string, kinds: UnitKind[], statuses?: PlanStatus[], unitIds?: number[]): Promise<PlanCompliance> {
    const rows = await runReadQuery<Row>(this.sql, `
      WITH units AS (
        SELECT id, code, unit_name_at(id, least($2::date, make_date($1, 12, 31))) AS name, kind, valid_from, valid_to FROM unit
        WHERE kind = ANY($3::unit_kind[]) AND ${validOnSql('$2::date')}
          AND ($4::int[] IS NULL OR id = ANY($4::int[]))
      ),
      due AS (
        SELECT k AS kind, min(t.deadline) AS deadline FROM target t, unnest(t.scope_kinds) k
        WHERE t.indicator = 'plan_issued' AND t.plan_year = $1 GROUP BY k
      ),
      s AS (
        SELECT u.*, p.document_number, p.title, p.issued_on, coalesce(p.due_on, d.deadline) AS deadline
        FROM units u LEFT JOIN plan p ON p.unit_id = u.id AND p.year = $1 LEFT JOIN due d ON d.kind = u.kind::text
      )
      SELECT id, code, name, kind, to_char(valid_from, 'YYYY-MM-DD') AS valid_from, to_char(valid_to, 'YYYY-MM-DD') AS valid_to,
        -- As of the date: a plan issued later was not known then, so its document is not shown.
        CASE WHEN issued_on <= $2::date THEN document_number END AS document_number, CASE WHEN issued_on <= $2::date THEN title END AS title,
        CASE WHEN issued_on <= $2::date THEN to_char(issued_on, 'YYYY-MM-DD') END AS issued_on, to_char(deadline, 'YYYY-MM-DD') AS deadline,
        CASE WHEN issued_on <= $2::date THEN CASE WHEN issued_on > deadline THEN 'issued_late' ELSE 'issued' END
             WHEN deadline < $2::date THEN 'overdue' ELSE 'pending' END AS status,
        CASE WHEN (issued_on IS NULL OR issued_on > $2::date) AND deadline < $2::date THEN $2::date - deadline END AS days_overdue
      FROM s ORDER BY kind, code, valid_from NULLS FIRST`,
    [year, asOf, kinds, unitIds ?? null], this.timeoutMs);
    const count = (s: PlanStatus) => rows.filter((r) => r.status === s).length;
    const wanted = statuses && statuses.length > 0 ? new Set(statuses) : undefined;
    return {
      year,
      asOf,
      kinds,
      counts: {
        units: rows.length,
        issued: count(PlanStatus.ISSUED) + count(PlanStatus.ISSUED_LATE),
        issuedOnTime: count(PlanStatus.ISSUED),
        issuedLate: count(PlanStatus.ISSUED_LATE),
        overdue: count(PlanStatus.OVERDUE),
        pending: count(PlanStatus.PENDING),
      },
      units: rows.filter((r) => !wanted || wanted.has(r.status)).map((r) => ({
        unit: unitRefOf(r),
        status: r.status,
        deadline: r.deadline,
        daysOverdue: r.days_overdue,
        documentNumber: r.document_number,
        title: r.title,
        issuedOn: r.issued_on,
      })),
    };
  }
}
