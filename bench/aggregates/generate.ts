import { Database } from '../../src/db/database';

/** Months of data: 2018-01 .. 2025-12; old provinces until 2025-06, today's from 2025-07. */
export const FIRST_MONTH = '2018-01-01';
export const LAST_MONTH = '2025-12-01';

/** Share of the filing rows reported by communes (the commune-tier shape reads them). */
const COMMUNE_SHARE = 0.15;
/** Services of a commune that reports (civil status, land, residence...), while a sample of communes reports. */
const SERVICES_PER_COMMUNE = 12;
/** Procedures in the catalogue: a province offers at most all of them. */
const PROCEDURES = 2000;

export interface Generated { services: number; communes: number; levels: number; filings: number }

/**
 * The synthetic nation, written with set-based SQL (FK triggers off while loading). Provinces
 * report most filings (every service every month the unit exists); a sample of communes, picked
 * by a hash of their id so the choice is the same at every run, reports the rest, so that the
 * commune tier has data and a commune's figures count towards its province.
 */
export async function generate(db: Database, scale: number): Promise<Generated> {
  const q = (text: string, params?: unknown[]) => db.sql.query(text, params);
  const [src] = await q(`INSERT INTO source (code, name, kind, precedence) VALUES ('bench', 'Synthetic national data', 'import', 10) RETURNING id`);
  const [run] = await q(`INSERT INTO ingest_run (source_id, kind, status, finished_at) VALUES ($1, 'import', 'succeeded', now()) RETURNING id`, [src.id]);
  const ids = [src.id, run.id];
  await q(`INSERT INTO sector (code, name, source_id, run_id) SELECT 'S' || lpad(i::text, 2, '0'), 'Lĩnh vực ' || i, $1, $2 FROM generate_series(1, 50) i`, ids);
  await q(`INSERT INTO procedure (code, name, sector_id, tier, eligible_full_online, essential, source_id, run_id)
    SELECT 'B.' || lpad(i::text, 6, '0'), 'Thủ tục ' || i, (SELECT id FROM sector WHERE code = 'S' || lpad((i % 50 + 1)::text, 2, '0')),
      'province', i % 7 <> 0, i <= 25, $1, $2 FROM generate_series(1, $3::int) i`, [...ids, PROCEDURES]);
  // Unit-months with data: 63 old provinces × 90 months + 34 provinces × 6 months; communes likewise.
  const unitMonths = (kind: string) => `(SELECT coalesce(sum(CASE WHEN valid_from IS NOT NULL THEN 6 WHEN valid_to IS NOT NULL THEN 90 ELSE 96 END), 0) FROM unit WHERE kind = '${kind}')`;
  const [um] = await q(`SELECT ${unitMonths('province')} AS provinces, ${unitMonths('commune')} AS communes`);
  const perUnit = Math.max(1, Math.min(PROCEDURES, Math.ceil((scale * (1 - COMMUNE_SHARE)) / Number(um.provinces))));
  // Communes file COMMUNE_SHARE of the rows, and what provinces cannot once they offer every procedure
  // (past about 14M rows: at 30M, 11.7M rows from provinces and 18.3M from communes).
  const communeRows = scale * COMMUNE_SHARE + Math.max(0, scale * (1 - COMMUNE_SHARE) - perUnit * Number(um.provinces));
  // Per mille of communes that report, and services per commune: 12 each while a sample of communes is enough.
  const communePerMille = Math.max(1, Math.min(1000, Math.round((1000 * communeRows) / (Number(um.communes) * SERVICES_PER_COMMUNE))));
  const servicesPerCommune = Math.min(PROCEDURES, Math.max(SERVICES_PER_COMMUNE, Math.ceil(communeRows / Number(um.communes))));
  await q(`INSERT INTO service (unit_id, procedure_id, source_id, run_id)
    SELECT u.id, p.id, $1, $2 FROM unit u CROSS JOIN generate_series(0, $3 - 1) k
    JOIN procedure p ON p.code = 'B.' || lpad(((k + u.id * 37) % $4 + 1)::text, 6, '0')
    WHERE u.kind = 'province'`, [...ids, perUnit, PROCEDURES]);
  await q(`INSERT INTO service (unit_id, procedure_id, source_id, run_id)
    SELECT u.id, p.id, $1, $2 FROM unit u CROSS JOIN generate_series(0, $3 - 1) k
    JOIN procedure p ON p.code = 'B.' || lpad(((k * 151 + u.id) % $5 + 1)::text, 6, '0')
    WHERE u.kind = 'commune' AND abs(hashtext('commune' || u.id)) % 1000 < $4`, [...ids, servicesPerCommune, communePerMille, PROCEDURES]);
  // Levels: old units level 2 or 3 from 2018, level 4 for ~70% at some month of 2019-2022, reclassified under
  // Decree 42 in 2023; units opened on 2025-07-01 report under Decree 42 from that day.
  await q(`INSERT INTO service_level (service_id, taxonomy, level, valid_from, integrated_national, source_id, run_id)
    WITH s AS (SELECT s.id, u.valid_from AS opened, p.eligible_full_online AS eligible, abs(hashtext('lv' || s.id)) AS h
               FROM service s JOIN unit u ON u.id = s.unit_id JOIN procedure p ON p.id = s.procedure_id)
    SELECT id, 'decree43'::level_taxonomy, CASE WHEN h % 3 = 0 THEN '2' ELSE '3' END, DATE '2018-01-01', NULL::boolean, $1::int, $2::int FROM s WHERE opened IS NULL
    UNION ALL
    SELECT id, 'decree43', '4', (DATE '2019-01-01' + ((h / 7) % 48) * interval '1 month')::date, h % 5 <> 0, $1::int, $2::int FROM s WHERE opened IS NULL AND h % 10 < 7
    UNION ALL
    SELECT id, 'decree42', CASE WHEN h % 10 < 7 AND eligible THEN 'full' WHEN h % 3 = 0 AND h % 10 >= 7 THEN 'info' ELSE 'partial' END,
      DATE '2023-01-01', h % 5 <> 0, $1::int, $2::int FROM s WHERE opened IS NULL
    UNION ALL
    SELECT id, 'decree42', CASE WHEN h % 10 < 8 AND eligible THEN 'full' WHEN h % 10 = 9 THEN 'info' ELSE 'partial' END,
      opened, h % 4 <> 0, $1::int, $2::int FROM s WHERE opened IS NOT NULL`, ids);
  // Filings: every service of every unit that exists in a month, with counts that obey the table's checks.
  // About one service-month in nine has no online dossier, so "services with online filings" is not every service.
  await db.sql.transaction(async (tx) => {
    await tx.query(`SET LOCAL session_replication_role = replica`);
    await tx.query(`INSERT INTO filing_stat (month, unit_id, procedure_id, l1_id, source_id, run_id, received, received_online, received_postal,
        resolved_on_time, resolved_late, with_fee, paid_online, synced_national)
      SELECT month, unit_id, procedure_id, l1_id, $1, $2, r, onl, (r - onl) * ((h / 11) % 10) / 100, ot, (r - ot) * ((h / 17) % 50) / 100,
        fee, fee * ((h / 23) % 100) / 100, r * (80 + (h / 29) % 21) / 100
      FROM (
        SELECT m::date AS month, s.unit_id, s.procedure_id, um.l1_id, h, r, CASE WHEN h % 9 = 0 THEN 0 ELSE r * (20 + (h / 7) % 70) / 100 END AS onl,
          r * (60 + (h / 13) % 35) / 100 AS ot, r * ((h / 19) % 60) / 100 AS fee
        FROM service s JOIN unit u ON u.id = s.unit_id JOIN unit_map um ON um.unit_id = s.unit_id
        CROSS JOIN generate_series($3::date, $4::date, interval '1 month') m
        CROSS JOIN LATERAL (SELECT abs(hashtext(s.id || '-' || m::date)) AS h) hh
        CROSS JOIN LATERAL (SELECT 5 + hh.h % 200 AS r) rr
        WHERE (u.valid_from IS NULL OR u.valid_from <= m) AND (u.valid_to IS NULL OR u.valid_to >= m)
      ) x`, [...ids, FIRST_MONTH, LAST_MONTH]);
  });
  const [c] = await q(`SELECT (SELECT count(*) FROM service) AS services, (SELECT count(DISTINCT s.unit_id) FROM service s JOIN unit u ON u.id = s.unit_id WHERE u.kind = 'commune') AS communes,
    (SELECT count(*) FROM service_level) AS levels, (SELECT count(*) FROM filing_stat) AS filings`);
  return { services: Number(c.services), communes: Number(c.communes), levels: Number(c.levels), filings: Number(c.filings) };
}
