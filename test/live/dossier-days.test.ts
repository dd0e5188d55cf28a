import { Client } from 'graphql-ws';
import { Database } from '../../src/db/database';
import { createTestDatabase } from '../support/harness';
import { dossierWorld, FixtureDossier, ingestDossiers } from '../dossiers/fixture';
import { listen, LiveGateway, startLiveGateway, subscribed, wsClient } from './live-harness';

/**
 * Live updates of the dossier measures (issue 13, items 1 and 4): a sync that corrects only a
 * dossier's days (its resolution day) changes processing times and open dossiers but no filing.
 * The dossiers are written through the real dossier stage (as a feed's sync does) by this test's
 * own pool; a gateway process, with its own pool and LISTEN connection, serves the subscriptions
 * to a real graphql-ws client, so the database's NOTIFY at COMMIT is the only path between them.
 */

const FIGURES = `subscription Figures($filter: AggregateFilter, $measures: [AggregateMeasure!], $period: PeriodRange) {
  figuresChanged(filter: $filter, measures: $measures, period: $period) {
    dataVersion commits missed
    changes { kind units { code kind } months firstMonth lastMonth }
  }
}`;

// Hà Nội (01) and Điện Biên (11): both resolved on time in June 2025.
const D1: FixtureDossier = { code: 'D1', unit: '01', procedure: 'P1', received: '2025-06-02', due: '2025-06-10', resolved: '2025-06-04' };
const D2: FixtureDossier = { code: 'D2', unit: '11', procedure: 'P2', received: '2025-06-03', due: '2025-06-13', resolved: '2025-06-05' };

let db: Database;
let feed: number;
let A: LiveGateway;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  feed = await dossierWorld(db);
  await ingestDossiers(db, feed, [D1, D2], '20250701000000');
  A = await startLiveGateway(db.url);
  client = wsClient(A.wsUrl);
});

afterAll(async () => {
  await client?.dispose();
  await A?.stop();
  await db?.close();
});

/** The figures of a month by province (received, and processing days), read from the store: what the correction must leave (filings) or change (days). */
const figures = () => db.sql.query<{ unit: string; received: string; days: string }>(
  `SELECT u.code AS unit, (SELECT sum(f.received)::text FROM filing_stat f WHERE f.unit_id = u.id) AS received,
     (SELECT string_agg((d.resolved_on - d.received_on)::text, ',' ORDER BY d.code) FROM dossier d WHERE d.unit_id = u.id) AS days
   FROM unit u WHERE u.code IN ('01', '11') AND u.kind = 'province' AND u.valid_to IS NULL ORDER BY 1`);

describe('figuresChanged hears the dossier store', () => {
  it('a correction of a resolution day alone: exactly one event for its province\'s dossier measures, none for filings or another province', async () => {
    const hnDays = listen(client, FIGURES, { filter: { provinceCodes: ['01'] }, measures: ['PROCESSING_DAYS_MEDIAN', 'PROCESSING_DAYS_MEAN'] });
    const hnOpen = listen(client, FIGURES, { filter: { provinceCodes: ['01'] }, measures: ['DOSSIERS_OVERDUE'], period: { from: '2020-01', to: '2020-12' } });
    const hnFilings = listen(client, FIGURES, { filter: { provinceCodes: ['01'] }, measures: ['DOSSIERS_RECEIVED'] });
    const dbDays = listen(client, FIGURES, { filter: { provinceCodes: ['11'] }, measures: ['PROCESSING_DAYS_P90'] });
    await subscribed(A, 4).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify([hnDays.errors, hnOpen.errors, hnFilings.errors, dbDays.errors])}`); });

    // 1. D1 was in fact resolved on 06-06, still before its due day: processing days 2 -> 4, no filing count moves.
    const before = await figures();
    expect(before).toEqual([{ unit: '01', received: '1', days: '2' }, { unit: '11', received: '1', days: '2' }]);
    await ingestDossiers(db, feed, [{ ...D1, resolved: '2025-06-06' }], '20250801000000');
    expect(await figures()).toEqual([{ unit: '01', received: '1', days: '4' }, { unit: '11', received: '1', days: '2' }]);
    const [days] = await hnDays.count(1);
    // Dossiers are not listed by month (a day moved changes a histogram month and the open counts over a span): the period asked does not narrow them.
    const dossierChange = { kind: 'DOSSIER', units: [{ code: '01', kind: 'PROVINCE' }], months: null, firstMonth: null, lastMonth: null };
    expect(days.figuresChanged).toEqual({ dataVersion: expect.stringMatching(/^\d+$/), commits: 1, missed: false, changes: [dossierChange] });
    const [open] = await hnOpen.count(1);
    expect(open.figuresChanged).toEqual(days.figuresChanged);

    // 2. A sentinel for the others: a new Hà Nội dossier (a filing and a dossier change in one commit), then a correction in Điện Biên.
    await ingestDossiers(db, feed, [{ code: 'D3', unit: '01', procedure: 'P1', received: '2025-06-20', due: '2025-06-30', resolved: null }], '20250901000000');
    const [filings] = await hnFilings.count(1);
    expect(filings.figuresChanged.changes).toEqual([
      { kind: 'FILING_STAT', units: [{ code: '01', kind: 'PROVINCE' }], months: ['2025-06'], firstMonth: '2025-06', lastMonth: '2025-06' },
    ]);
    // Deliveries keep commit order: the filings subscriber's first event is the sentinel's, so the correction gave it none.
    expect(BigInt(filings.figuresChanged.dataVersion)).toBeGreaterThan(BigInt(days.figuresChanged.dataVersion));
    await ingestDossiers(db, feed, [{ ...D2, resolved: '2025-06-07' }], '20251001000000');
    const [other] = await dbDays.count(1);
    expect(other.figuresChanged.changes).toEqual([{ ...dossierChange, units: [{ code: '11', kind: 'PROVINCE' }] }]);
    expect(BigInt(other.figuresChanged.dataVersion)).toBeGreaterThan(BigInt(filings.figuresChanged.dataVersion));
    // The sentinel changed a filing and a dossier: Hà Nội's dossier subscribers hear its dossier change, in one event.
    const second = await hnDays.count(2);
    expect(second[1].figuresChanged.changes).toEqual([dossierChange]);
    expect((await hnOpen.count(2))[1].figuresChanged).toEqual(second[1].figuresChanged);

    // Exactly: Hà Nội's dossier subscribers heard the correction and the new dossier; its filings subscriber the new dossier only;
    // Điện Biên's its own correction only.
    expect([hnDays.events.length, hnOpen.events.length, hnFilings.events.length, dbDays.events.length]).toEqual([2, 2, 1, 1]);
    expect([...hnDays.errors, ...hnOpen.errors, ...hnFilings.errors, ...dbDays.errors]).toEqual([]);
    for (const l of [hnDays, hnOpen, hnFilings, dbDays]) l.stop();
  });
});
