import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { factCounts, startTestGateway, TestGateway } from '../support/harness';
import { loadIndexHandFixture } from '../index766/hand-fixture';

/**
 * Published Decision 766 scores through the interchange format (section publishedIndexScores:
 * the GraphQL push and `npm run import`), set beside the scores computed from the hand-made
 * example of test/index766 (June 2025; Hà Nội computed: transparency 10.2 of 14 computed points,
 * progress 18, digitisation and satisfaction not computed, online services 13.3, total 41.5, rank 1
 * tied with Cao Bằng; Điện Biên 28.8, rank 3). Every difference below by hand.
 */
let gw: TestGateway;
let key: string;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadIndexHandFixture(gw.db);
  key = await gw.createKey({ name: 'vpcp-766', unitCodes: ['01', '11'] });
});
afterAll(() => gw?.stop());

const INGEST = `mutation($batch: IngestBatchInput!) { ingest(batch: $batch) {
  rowsWritten publishedIndexScores { inserted updated corrected outranked } run { id } } }`;
const INDEX = `query($p: String!) { index766(period: $p) {
  units { unit { code } total rank published { total rank differencePoints source { code } }
    groups { code points coveredMaxPoints fullyComputed publishedPoints differencePoints } } } }`;

const HANOI = [
  ['transparency', 15.5], ['progress', 17.5], ['digitisation', 18.25], ['online_services', 13.3], ['satisfaction', 16],
].map(([component, points]) => ({ unit: '01', period: '2025-06', component, points }));
// 15.5 + 17.5 + 18.25 + 13.3 + 16 = 80.55; the portal ranks Hà Nội second. Điện Biên: the total only.
const SCORES = [...HANOI, { unit: '01', period: '2025-06', component: 'total', points: 80.55, rank: 2 }, { unit: '11', period: '2025-06', component: 'total', points: 55, rank: 40 }];

interface Group { code: string; points: number; coveredMaxPoints: number; fullyComputed: boolean; publishedPoints: number | null; differencePoints: number | null }
interface Unit { unit: { code: string }; total: number; rank: number | null; published: { total: number; rank: number | null; differencePoints: number; source: { code: string } } | null; groups: Group[] }

async function index(period: string): Promise<Map<string, Unit>> {
  const res = await gw.gql(INDEX, { p: period });
  expect(res.errors).toBeUndefined();
  return new Map((res.data.index766.units as Unit[]).map((u) => [u.unit.code, u]));
}

describe('published Decision 766 scores', () => {
  it('a pushed score stands beside the computed one, the difference exact per group and total, the ranks side by side', async () => {
    const pushed = await gw.gql(INGEST, { batch: { publishedIndexScores: SCORES } }, key);
    expect(pushed.errors).toBeUndefined();
    expect(pushed.data.ingest.publishedIndexScores).toEqual({ inserted: 7, updated: 0, corrected: 0, outranked: 0 });

    const units = await index('2025-06');
    const hanoi = units.get('01')!;
    expect([hanoi.total, hanoi.rank]).toEqual([41.5, 1]);
    // 80.55 − 41.5 = 39.05: mostly the 44 points of criteria the gateway cannot compute.
    expect(hanoi.published).toEqual({ total: 80.55, rank: 2, differencePoints: 39.05, source: { code: 'push:vpcp-766' } });
    expect(hanoi.groups.map((g) => [g.code, g.points, g.fullyComputed, g.publishedPoints, g.differencePoints])).toEqual([
      ['transparency', 10.2, false, 15.5, 5.3], // 15.5 − 10.2: includes the 4 points of procedures published on time
      ['progress', 18, true, 17.5, -0.5], // like for like: the portal gives half a point less than 72/80 × 20
      ['digitisation', 0, false, 18.25, 18.25],
      ['online_services', 13.3, true, 13.3, 0],
      ['satisfaction', 0, false, 16, 16],
    ]);
    const dienBien = units.get('11')!;
    expect(dienBien.published).toEqual({ total: 55, rank: 40, differencePoints: 26.2, source: { code: 'push:vpcp-766' } }); // 55 − 28.8
    expect(dienBien.groups.every((g) => g.publishedPoints === null && g.differencePoints === null)).toBe(true);
    // Cao Bằng: nothing published.
    expect(units.get('04')!.published).toBeNull();
    // l1_id filled by the writer.
    const [{ n }] = await gw.db.sql.query<{ n: string }>(`SELECT count(*) AS n FROM published_index_score s JOIN unit_map m ON m.unit_id = s.unit_id WHERE s.l1_id = m.l1_id`);
    expect(Number(n)).toBe(7);
  });

  it('the same scores pushed again write nothing; a changed score is a correction keeping the old one', async () => {
    const again = await gw.gql(INGEST, { batch: { publishedIndexScores: SCORES } }, key);
    expect(again.data.ingest).toMatchObject({ rowsWritten: 0, publishedIndexScores: { inserted: 0, updated: 0, corrected: 0, outranked: 0 } });

    const fixed = await gw.gql(INGEST, { batch: { publishedIndexScores: [{ ...HANOI[1], points: 18 }] } }, key);
    expect(fixed.data.ingest).toMatchObject({ rowsWritten: 1, publishedIndexScores: { inserted: 0, updated: 1, corrected: 1, outranked: 0 } });
    const revisions = await gw.db.sql.query<{ fact_key: Record<string, unknown>; reason: string; value: { points: number; rank: number | null } }>(
      `SELECT fact_key, reason, value FROM fact_revision WHERE fact_type = 'published_index_score'`,
    );
    expect(revisions).toEqual([{
      fact_key: { unitId: expect.any(Number), periodGrain: 'month', periodStart: '2025-06-01', component: 'progress' },
      reason: 'corrected',
      value: { periodEnd: '2025-06-30', points: 17.5, rank: null },
    }]);
    const progress = (await index('2025-06')).get('01')!.groups.find((g) => g.code === 'progress')!;
    expect([progress.publishedPoints, progress.differencePoints]).toEqual([18, 0]);
  });

  it('rejects bad scores whole, each problem naming its field', async () => {
    const before = { counts: await factCounts(gw.db), scores: await gw.db.sql.query(`SELECT count(*) AS n FROM published_index_score`) };
    const good = { unit: '01', period: '2025-05', component: 'progress', points: 17 };
    const res = await gw.gql(INGEST, {
      batch: {
        publishedIndexScores: [
          { ...good, component: 'speed' },
          { ...good, period: '2025-04', points: 20.5 }, // above the group's 20
          { ...good, period: '2025-03', points: 12.345 },
          { ...good, period: '2022-03' }, // before the decision
          { ...good, period: '2025-13' },
          { ...good, period: '2025-02', component: 'total', rank: 0 },
          { ...good, unit: '99' },
          { ...good, period: '2025-Q1' },
          { ...good, period: '2025-Q1' },
          good,
        ],
      },
    }, key);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(/nothing was written/);
    expect(res.errors![0].extensions!.problems!.map((p) => p.field)).toEqual([
      'publishedIndexScores[0].component',
      'publishedIndexScores[1].points',
      'publishedIndexScores[2].points',
      'publishedIndexScores[3].period',
      'publishedIndexScores[4].period',
      'publishedIndexScores[5].rank',
      'publishedIndexScores[8]',
      'publishedIndexScores[6].unit',
    ]);
    expect(await factCounts(gw.db)).toEqual(before.counts);
    expect(await gw.db.sql.query(`SELECT count(*) AS n FROM published_index_score`)).toEqual(before.scores);

    // A commune of Hà Nội: inside the key's scope, but the index scores provinces and ministries.
    const [commune] = await gw.db.sql.query<{ code: string }>(
      `SELECT u.code FROM unit u JOIN unit_map m ON m.unit_id = u.id JOIN unit p ON p.id = m.l1_id
       WHERE p.code = '01' AND u.kind = 'commune' AND (u.valid_from IS NULL OR u.valid_from <= '2025-05-01') AND (u.valid_to IS NULL OR u.valid_to >= '2025-05-31')
       ORDER BY u.code LIMIT 1`);
    const tier = await gw.gql(INGEST, { batch: { publishedIndexScores: [good, { ...good, unit: commune.code }] } }, key);
    expect(tier.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(tier.errors?.[0].extensions?.problems).toEqual([
      { field: 'publishedIndexScores[1].unit', reason: `unit ${commune.code} is a commune: the Decision 766 index scores province and ministry units` },
    ]);
    expect(await gw.db.sql.query(`SELECT count(*) AS n FROM published_index_score`)).toEqual(before.scores);

    const outside = await gw.gql(INGEST, { batch: { publishedIndexScores: [{ ...good, unit: '04' }] } }, key);
    expect(outside.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(outside.errors?.[0].extensions?.problems).toEqual([{ field: 'publishedIndexScores[0].unit', reason: expect.stringMatching(/scope of key vpcp-766/) }]);
  });

  it('npm run import reads published scores from CSV', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-index-scores-'));
    const file = path.join(dir, 'scores.csv');
    fs.writeFileSync(file, 'unit,period,component,points,rank\n04,2025-06,total,41.5,1\n04,2025-06,progress,18,\n');
    // Asynchronously (not spawnSync): the gateway under test runs in this process and must keep serving.
    const res = await promisify(execFile)(process.execPath, [path.join(__dirname, '../../dist/src/ingest/import.cli.js'), file, '--source', 'vpcp-csv'],
      { env: { ...process.env, DATABASE_URL: gw.db.url, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 });
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/published 766 scores: 2 new/);
    const caoBang = (await index('2025-06')).get('04')!;
    // The portal agrees with the detail here: 41.5 − 41.5 and 18 − 18.
    expect(caoBang.published).toEqual({ total: 41.5, rank: 1, differencePoints: 0, source: { code: 'vpcp-csv' } });
    expect(caoBang.groups.find((g) => g.code === 'progress')).toMatchObject({ publishedPoints: 18, differencePoints: 0 });

    fs.writeFileSync(file, 'unit,period,component,points,rank\n04,2025-06,total,141.5,1\n');
    const bad = await promisify(execFile)(process.execPath, [path.join(__dirname, '../../dist/src/ingest/import.cli.js'), file, '--source', 'vpcp-csv'],
      { env: { ...process.env, DATABASE_URL: gw.db.url, LOG_LEVEL: 'silent' }, encoding: 'utf8', timeout: 60_000 }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect(`${bad.stdout}${bad.stderr}`).toMatch(/publishedIndexScores\[0\]\.points/);
  });
});
