import { FilingRow } from '../../src/ingest/batch';
import { IngestService } from '../../src/ingest/ingest.service';
import { Database } from '../../src/db/database';

/**
 * The Decision 766 index's hand-made example (test/index766/index766.test.ts gives every number):
 * June 2025, Hà Nội (01) and Cao Bằng (04) identical, Điện Biên (11) lower; written through the
 * ingest core under the import source `hand`. Hà Nội's computed groups: transparency 10.2 (of
 * 14 computed), progress 18, online services 13.3, total 41.5, rank 1 tied with 04; 11 scores 28.8.
 */
export async function loadIndexHandFixture(db: Database): Promise<void> {
  const [src] = await db.sql.query<{ id: number }>(`INSERT INTO source (code, name, kind, precedence) VALUES ('hand', 'Hand-made', 'import', 50) RETURNING id`);
  const f = (unit: string, c: number[]): FilingRow => ({
    unit, procedure: 'P1', month: '2025-06', received: c[0], receivedOnline: c[1], receivedPostal: 0, resolvedOnTime: c[2], resolvedLate: c[3], withFee: c[4], paidOnline: c[5], syncedNational: c[6],
  });
  await new IngestService(db.sql).ingest({
    sectors: [{ code: 'HT', name: 'Hộ tịch' }],
    procedures: [
      { code: 'P1', name: 'Đăng ký khai sinh', sector: 'HT', tier: 'province', eligibleFullOnline: true },
      { code: 'P2', name: 'Đăng ký kết hôn', sector: 'HT', tier: 'province', eligibleFullOnline: true },
    ],
    services: [
      ...['01', '04'].flatMap((u) => [
        { unit: u, procedure: 'P1', taxonomy: 'decree42', level: 'full', from: '2025-01-01', integratedNational: true },
        { unit: u, procedure: 'P2', taxonomy: 'decree42', level: 'partial', from: '2025-01-01', integratedNational: false },
      ]),
      { unit: '11', procedure: 'P1', taxonomy: 'decree42', level: 'partial', from: '2025-01-01', integratedNational: true },
    ],
    filings: [f('01', [100, 60, 72, 8, 40, 30, 90]), f('04', [100, 60, 72, 8, 40, 30, 90]), f('11', [50, 10, 30, 20, 10, 2, 25])],
  }, { sourceId: src.id, kind: 'import', maxRows: 100 });
}
