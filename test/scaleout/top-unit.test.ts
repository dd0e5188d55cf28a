import fs from 'node:fs';
import path from 'node:path';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * The top-level unit of the facts (issue 12, item 5; Migration20261213500000_fact_top_unit):
 * the fact writer fills l1_id (filing_stat, plan, and after Migration20261220000000_published_top_unit
 * published_indicator and published_index_score) with the reporting unit's province or ministry, and a
 * unit moved under another province takes its facts along. Through the real ingest mutation.
 */
const INGEST = `mutation Ingest($batch: IngestBatchInput!) { ingest(batch: $batch) {
  run { status } filings { inserted updated } publishedIndicators { inserted } publishedIndexScores { inserted } } }`;
const FACT_TABLES = ['filing_stat', 'plan', 'published_indicator', 'published_index_score'];
const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8'));

let gw: TestGateway;
let key: string;
beforeAll(async () => {
  gw = await startTestGateway();
  key = await gw.createKey({ name: 'top-unit-test', unitCodes: ['72', '80'], catalogue: true });
});
afterAll(() => gw?.stop());

/** Facts whose l1_id is not their unit's top-level ancestor in unit_map (none, always). */
const mismatched = async () =>
  (await gw.db.sql.query<{ n: string }>(
    `SELECT ${FACT_TABLES.map((t) => `(SELECT count(*) FROM ${t} f JOIN unit_map m ON m.unit_id = f.unit_id WHERE f.l1_id <> m.l1_id)`).join(' + ')} AS n`,
  ))[0].n;

/** A commune of the province with this code in mid-2021, with its parent and the province's id. */
async function communeOf(provinceCode: string) {
  const [row] = await gw.db.sql.query<{ id: number; code: string; parent_id: number; province_id: number }>(
    `SELECT u.id, u.code, u.parent_id, m.province_id FROM unit u JOIN unit_map m ON m.unit_id = u.id JOIN unit p ON p.id = m.province_id
     WHERE u.kind = 'commune' AND p.code = $1 AND (u.valid_from IS NULL OR u.valid_from <= '2021-06-01') AND (u.valid_to IS NULL OR u.valid_to >= '2021-06-30')
     ORDER BY u.code LIMIT 1`,
    [provinceCode],
  );
  return row;
}

describe('the facts\' l1_id', () => {
  it('is filled by the ingest with the reporting unit\'s province, for provinces and communes alike', async () => {
    const commune = await communeOf('72');
    const batch = {
      ...example,
      filings: [...example.filings, { unit: commune.code, procedure: '1.001193', month: '2021-06', received: 10, receivedOnline: 4 }],
      publishedIndicators: [{ unit: commune.code, indicator: 'online_dossier_rate', period: '2021-06', value: 0.4, documentNumber: '12/BC-UBND', documentDate: '2021-07-05' }],
      publishedIndexScores: [{ unit: '80', period: '2025-06', component: 'total', points: 71.25, rank: 9 }],
    };
    const res = await gw.gql(INGEST, { batch }, key);
    expect(res.errors).toBeUndefined();
    expect(res.data.ingest).toEqual({ run: { status: 'SUCCEEDED' }, filings: { inserted: 4, updated: 0 }, publishedIndicators: { inserted: 1 }, publishedIndexScores: { inserted: 1 } });
    const rows = await gw.db.sql.query<{ unit: string; l1: string; l1_kind: string }>(
      `SELECT u.code AS unit, l.code AS l1, l.kind AS l1_kind FROM filing_stat f JOIN unit u ON u.id = f.unit_id JOIN unit l ON l.id = f.l1_id ORDER BY f.month, u.code`,
    );
    expect(rows).toEqual([
      { unit: commune.code, l1: '72', l1_kind: 'province' },
      { unit: '72', l1: '72', l1_kind: 'province' },
      { unit: '72', l1: '72', l1_kind: 'province' },
      { unit: '80', l1: '80', l1_kind: 'province' },
    ]);
    const plans = await gw.db.sql.query(`SELECT u.code AS unit, l.code AS l1 FROM plan p JOIN unit u ON u.id = p.unit_id JOIN unit l ON l.id = p.l1_id`);
    expect(plans).toEqual([{ unit: '72', l1: '72' }]);
    const published = await gw.db.sql.query(
      `SELECT u.code AS unit, l.code AS l1 FROM published_indicator p JOIN unit u ON u.id = p.unit_id JOIN unit l ON l.id = p.l1_id
       UNION ALL SELECT u.code, l.code FROM published_index_score p JOIN unit u ON u.id = p.unit_id JOIN unit l ON l.id = p.l1_id`,
    );
    expect(published).toEqual([{ unit: commune.code, l1: '72' }, { unit: '80', l1: '80' }]);
    expect(await mismatched()).toBe('0');
  });

  it('follows a unit moved under another province (a reference data correction), and back', async () => {
    const commune = await communeOf('72');
    const elsewhere = await communeOf('80');
    // The commune's filing and its published figure.
    const l1Of = async () => (await gw.db.sql.query<{ l1_id: number }>(
      `SELECT l1_id FROM filing_stat WHERE unit_id = $1 UNION ALL SELECT l1_id FROM published_indicator WHERE unit_id = $1`, [commune.id])).map((r) => r.l1_id);
    expect(await l1Of()).toEqual([commune.province_id, commune.province_id]);
    // Under a district of the other province: the commune's facts now belong to that province.
    await gw.db.sql.query(`UPDATE unit SET parent_id = $1 WHERE id = $2`, [elsewhere.parent_id, commune.id]);
    expect(await l1Of()).toEqual([elsewhere.province_id, elsewhere.province_id]);
    expect(await mismatched()).toBe('0');
    await gw.db.sql.query(`UPDATE unit SET parent_id = $1 WHERE id = $2`, [commune.parent_id, commune.id]);
    expect(await l1Of()).toEqual([commune.province_id, commune.province_id]);
    expect(await mismatched()).toBe('0');
  });
});
