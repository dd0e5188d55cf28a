import { Batch, FilingRow, ServiceLevelRow } from '../../src/ingest/batch';
import { IngestService } from '../../src/ingest/ingest.service';
import { refreshRollups } from '../../src/aggregates/rollup.service';
import { Database } from '../../src/db/database';

/**
 * A small world whose every figure the tests compute by hand.
 *
 * Units (reference data): old 72 Tây Ninh and old 80 Long An (closed 2025-06-30) merged fully
 * into new 80 Tây Ninh (from 2025-07-01); 01 Hà Nội, 11 Điện Biên and 04 Cao Bằng continue.
 * Commune 27766 (Xã Thái Trị, old 80) merged partially into 27757 and 27763 (the rule picks 27757).
 *
 * Procedures: P1 (HT, eligible, essential), P2 (HT, eligible), P3 (DD, NOT eligible), Q01..Q10 (DD, eligible).
 */
export const FIXTURE_SOURCE = 'fixture';

const f = (unit: string, procedure: string, month: string, c: number[]): FilingRow => ({
  unit, procedure, month,
  received: c[0], receivedOnline: c[1], receivedPostal: c[2], resolvedOnTime: c[3], resolvedLate: c[4], withFee: c[5], paidOnline: c[6], syncedNational: c[7],
});
const lv = (unit: string, procedure: string, taxonomy: string, level: string, from: string, integratedNational: boolean | null = null): ServiceLevelRow =>
  ({ unit, procedure, taxonomy, level, from, integratedNational });

export const BATCH: Batch = {
  sectors: [{ code: 'HT', name: 'Hộ tịch' }, { code: 'DD', name: 'Đất đai' }],
  procedures: [
    { code: 'P1', name: 'Đăng ký khai sinh', sector: 'HT', tier: 'province', eligibleFullOnline: true, essential: true },
    { code: 'P2', name: 'Đăng ký kết hôn', sector: 'HT', tier: 'province', eligibleFullOnline: true, essential: false },
    { code: 'P3', name: 'Giao đất', sector: 'DD', tier: 'province', eligibleFullOnline: false, essential: false },
    ...Array.from({ length: 10 }, (_, i) => ({ code: `Q${String(i + 1).padStart(2, '0')}`, name: `Thủ tục Q${i + 1}`, sector: 'DD', tier: 'province', eligibleFullOnline: true })),
  ],
  services: [
    // Old 72: P1 level 3 then 4 (integrated), P2 level 2, P3 level 4 though not eligible (not integrated).
    lv('72', 'P1', 'decree43', '3', '2019-01-01', true),
    lv('72', 'P1', 'decree43', '4', '2021-06-01', true),
    lv('72', 'P2', 'decree43', '2', '2019-01-01'),
    lv('72', 'P3', 'decree43', '4', '2020-01-01', false),
    // Old 80: P1 level 4 (integrated); P2 level 3, reclassified partial under Decree 42 in 2023.
    lv('80', 'P1', 'decree43', '4', '2020-01-01', true),
    lv('80', 'P2', 'decree43', '3', '2019-01-01'),
    lv('80', 'P2', 'decree42', 'partial', '2023-01-01'),
    // New 80 from 2025-07-01 (the unit holding code 80 on that date).
    lv('80', 'P1', 'decree42', 'full', '2025-07-01', true),
    lv('80', 'P2', 'decree42', 'partial', '2025-07-01', false),
    lv('80', 'P3', 'decree42', 'info', '2025-07-01'),
    // Hà Nội: P1 level 4 then full (integrated), P2 partial (integrated), P3 level 1.
    lv('01', 'P1', 'decree43', '4', '2019-01-01', true),
    lv('01', 'P1', 'decree42', 'full', '2023-01-01', true),
    lv('01', 'P2', 'decree42', 'partial', '2023-01-01', true),
    lv('01', 'P3', 'decree43', '1', '2019-01-01'),
    // Điện Biên: 10 services from 2024, 3 full and 7 partial: a level-4 share of exactly 0.3.
    ...Array.from({ length: 10 }, (_, i) => lv('11', `Q${String(i + 1).padStart(2, '0')}`, 'decree42', i < 3 ? 'full' : 'partial', '2024-01-01', true)),
  ],
  //                                     received, online, postal, onTime, late, withFee, paidOnline, synced
  filings: [
    f('72', 'P1', '2025-05', [100, 60, 10, 70, 20, 50, 30, 80]),
    f('72', 'P2', '2025-05', [50, 0, 0, 40, 10, 0, 0, 50]),
    f('72', 'P1', '2025-06', [80, 40, 0, 60, 20, 40, 40, 60]),
    f('80', 'P1', '2025-06', [200, 150, 10, 150, 30, 100, 80, 190]),
    f('27766', 'P2', '2025-06', [10, 5, 0, 8, 2, 0, 0, 10]),
    f('80', 'P1', '2025-07', [300, 240, 20, 250, 50, 200, 150, 280]),
    f('80', 'P3', '2025-08', [40, 0, 0, 0, 0, 0, 0, 0]),
    f('01', 'P1', '2025-06', [500, 400, 0, 450, 50, 300, 300, 500]),
    f('01', 'P2', '2025-07', [100, 30, 10, 90, 10, 20, 5, 90]),
  ],
  plans: [
    { unit: '01', year: 2021, documentNumber: '12/KH-UBND', title: 'Kế hoạch 2021', issuedOn: '2021-08-01', dueOn: null },
    { unit: '11', year: 2021, documentNumber: '99/KH-UBND', title: 'Kế hoạch 2021', issuedOn: '2021-09-20', dueOn: null },
    { unit: '04', year: 2021, documentNumber: null, title: null, issuedOn: null, dueOn: '2021-10-01' },
  ],
};

/** Writes the fixture through the ingest path and refreshes the rollups; returns the source id. */
export async function loadFixture(db: Database): Promise<number> {
  const [src] = await db.sql.query<{ id: number }>(
    `INSERT INTO source (code, name, kind, precedence) VALUES ($1, 'Fixture', 'import', 50) RETURNING id`, [FIXTURE_SOURCE],
  );
  await new IngestService(db.sql).ingest(BATCH, { sourceId: src.id, kind: 'import', maxRows: 1e6 });
  await refreshRollups(db.sql);
  return src.id;
}

/** The aggregate query with every field, for tests. */
export const AGGREGATE = `query($q: AggregateInput!) { aggregate(query: $q) {
  totalRows truncated answeredFromRollups levels unitView
  coverage { from to asOf firstMonthWithData lastMonthWithData lastIngestAt }
  sources { code kind }
  rows {
    includesPartialMerges
    dimensions {
      unit { id code name kind validFrom validTo } province { code validFrom } unitKind sector { code name } procedure { code }
      essential eligible level period { grain label start end }
    }
    measures { measure value numerator denominator }
  }
} }`;

export interface MeasureOut { measure: string; value: number | null; numerator: number | null; denominator: number | null }
export interface RowOut {
  includesPartialMerges: boolean;
  dimensions: {
    unit: { id: string; code: string; name: string; kind: string; validFrom: string | null; validTo: string | null } | null;
    province: { code: string; validFrom: string | null } | null;
    unitKind: string | null; sector: { code: string; name: string } | null; procedure: { code: string } | null;
    essential: boolean | null; eligible: boolean | null; level: string | null;
    period: { grain: string; label: string; start: string; end: string } | null;
  };
  measures: MeasureOut[];
}
export interface AggregateOut {
  totalRows: number; truncated: boolean; answeredFromRollups: boolean; levels: string | null; unitView: string;
  coverage: { from: string | null; to: string | null; asOf: string | null; firstMonthWithData: string | null; lastMonthWithData: string | null; lastIngestAt: string | null };
  sources: { code: string; kind: string }[];
  rows: RowOut[];
}

/** A measure of a row by name. */
export const m = (row: RowOut | undefined, measure: string): MeasureOut | undefined => row?.measures.find((x) => x.measure === measure);

/** Value, numerator and denominator of a measure, for compact expectations. */
export const vnd = (row: RowOut | undefined, measure: string) => {
  const x = m(row, measure);
  return x ? [x.value, x.numerator, x.denominator] : undefined;
};

/** The row of a unit (by code and first valid day, since codes are reused). */
export const unitRow = (rows: RowOut[], code: string, validFrom: string | null = null) =>
  rows.find((r) => r.dimensions.unit?.code === code && r.dimensions.unit.validFrom === validFrom);
