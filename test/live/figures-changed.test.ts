import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'graphql-ws';
import { waitFor } from '../resilience/gateway-process';
import { createTestDatabase } from '../support/harness';
import { createKey, listen, LiveGateway, startLiveGateway, subscribed, wsClient } from './live-harness';

/**
 * Live updates across gateway processes: two gateways (A and B, each with its own pool, LISTEN
 * connection and WebSocket server) on one database. Subscriptions are made on A with a real
 * graphql-ws client over `ws`; the commits are ingest pushes sent to B over HTTP with an API key.
 * The database's NOTIFY at COMMIT is the only path between them.
 */

const INGEST = `mutation Ingest($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsWritten run { status } } }`;
const FIGURES = `subscription Figures($filter: AggregateFilter, $period: PeriodRange, $indicators: [Indicator!], $kinds: [FactType!], $unitTier: UnitKind) {
  figuresChanged(filter: $filter, period: $period, indicators: $indicators, kinds: $kinds, unitTier: $unitTier) {
    dataVersion commits missed
    changes { kind units { code kind } months firstMonth lastMonth }
  }
}`;

const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/batch.json'), 'utf8'));
const filing = (unit: string, month: string, received: number) => ({ unit, procedure: '1.001193', month, received, receivedOnline: 1 });

let A: LiveGateway;
let B: LiveGateway;
let tayNinh: string;
let haNoi: string;
const clients: Client[] = [];

beforeAll(async () => {
  const db = await createTestDatabase();
  await db.close();
  A = await startLiveGateway(db.url, { liveMaxSubscriptionsPerConnection: 4 });
  B = await startLiveGateway(db.url, { liveMaxSubscriptions: 2 });
  tayNinh = await createKey(B.db, { name: 'tay-ninh-lgsp', unitCodes: ['72', '80'], catalogue: true });
  haNoi = await createKey(B.db, { name: 'ha-noi-portal', unitCodes: ['01'] });
  // The catalogue and a first load, before anyone listens.
  const seeded = await B.gql(INGEST, { batch: example }, tayNinh);
  expect(seeded.errors).toBeUndefined();
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await A?.stop();
  await B?.stop();
});

function client(gw: LiveGateway, opts: Parameters<typeof wsClient>[1] = {}): Client {
  const c = wsClient(gw.wsUrl, opts);
  clients.push(c);
  return c;
}

async function push(batch: object, key: string): Promise<void> {
  const res = await B.gql(INGEST, { batch }, key);
  expect(res.errors).toBeUndefined();
  expect(res.data.ingest.rowsWritten).toBeGreaterThan(0);
}

describe('figuresChanged across two gateway processes', () => {
  it('hears each relevant commit made through the other process exactly once, and no unrelated one', async () => {
    const c = client(A);
    // Old Tây Ninh (72 until the 2025 merger), filing indicators, 2021.
    const tay = listen(c, FIGURES, { filter: { provinceCodes: ['72'], unitsAt: '2021-06-01' }, period: { from: '2021-01', to: '2021-12' }, indicators: ['ONLINE_DOSSIER_RATE'] });
    // Hà Nội, anything.
    const hn = listen(c, FIGURES, { filter: { provinceCodes: ['01'] } });
    // Tây Ninh's plans only: filings are not its business.
    const plans = listen(c, FIGURES, { filter: { provinceCodes: ['72'], unitsAt: '2021-06-01' }, kinds: ['PLAN'] });
    // Tây Ninh filings of 2022: another period.
    const later = listen(c, FIGURES, { filter: { provinceCodes: ['72'], unitsAt: '2021-06-01' }, period: { from: '2022-01', to: '2022-12' }, kinds: ['FILING_STAT'] });
    await subscribed(A, 4);

    // 1. A Tây Ninh filing of June 2021, through B.
    await push({ filings: [filing('72', '2021-06', 131)] }, tayNinh);
    const [first] = await tay.count(1);
    expect(first.figuresChanged).toEqual({
      dataVersion: expect.stringMatching(/^\d+$/), commits: 1, missed: false,
      changes: [{ kind: 'FILING_STAT', units: expect.arrayContaining([{ code: '72', kind: 'PROVINCE' }]), months: ['2021-06'], firstMonth: '2021-06', lastMonth: '2021-06' }],
    });

    // 2. An unrelated commit (Hà Nội), then a related one (Tây Ninh, March 2021): Tây Ninh's next
    // event is the related one (deliveries keep commit order, so an event for Hà Nội's would have come first).
    await push({ filings: [filing('01', '2021-06', 7)] }, haNoi);
    const [hnEvent] = await hn.count(1);
    expect(hnEvent.figuresChanged.changes).toEqual([{ kind: 'FILING_STAT', units: [{ code: '01', kind: 'PROVINCE' }], months: ['2021-06'], firstMonth: '2021-06', lastMonth: '2021-06' }]);
    await push({ filings: [filing('72', '2021-03', 20)] }, tayNinh);
    const events = await tay.count(2);
    expect(events[1].figuresChanged.changes[0].months).toEqual(['2021-03']);
    expect(BigInt(events[1].figuresChanged.dataVersion)).toBeGreaterThan(BigInt(hnEvent.figuresChanged.dataVersion));

    // 3. A commit that writes nothing (the same figure again) changes nothing: no event. A plan
    // for Tây Ninh then reaches the plan subscriber only.
    const same = await B.gql(INGEST, { batch: { filings: [filing('72', '2021-03', 20)] } }, tayNinh);
    expect(same.data.ingest.rowsWritten).toBe(0);
    await push({ plans: [{ ...example.plans[0], title: 'Kế hoạch sửa đổi' }] }, tayNinh);
    const [plan] = await plans.count(1);
    expect(plan.figuresChanged.changes).toEqual([{ kind: 'PLAN', units: expect.arrayContaining([{ code: '72', kind: 'PROVINCE' }]), months: null, firstMonth: null, lastMonth: null }]);

    // 4. A sentinel everyone in Tây Ninh hears: a 2022 filing and a 2021 one in one commit.
    await push({ filings: [filing('72', '2022-02', 5), filing('72', '2021-11', 6)] }, tayNinh);
    const final = await tay.count(3);
    expect(final[2].figuresChanged.changes[0].months).toEqual(['2021-11']);
    const [late] = await later.count(1);
    expect(late.figuresChanged.changes[0].months).toEqual(['2022-02']);

    // Exactly: three Tây Ninh 2021 filing commits, three events; one Hà Nội commit, one event;
    // one plan commit; one 2022 commit. Nothing for the commit that wrote nothing.
    expect([tay.events.length, hn.events.length, plans.events.length, later.events.length]).toEqual([3, 1, 1, 1]);
    expect([...tay.errors, ...hn.errors, ...plans.errors, ...later.errors]).toEqual([]);
    for (const l of [tay, hn, plans, later]) l.stop();
    await waitForSize(A, 0);
  });

  it('coalesces a burst of commits into fewer events, never more than one per commit', async () => {
    const c = client(A);
    const hn = listen(c, FIGURES, { filter: { provinceCodes: ['01'] }, kinds: ['FILING_STAT'] });
    await subscribed(A, 1);
    const months = ['2020-01', '2020-02', '2020-03', '2020-04', '2020-05'];
    // Sent at once: the commits land within a few milliseconds of each other.
    await Promise.all(months.map((m, i) => push({ filings: [filing('01', m, 10 + i)] }, haNoi)));
    // Every month is heard, in as many events as the coalescing window allowed (1 to 5).
    await waitForMonths(hn, months);
    const commits = hn.events.reduce((n, e) => n + e.figuresChanged.commits, 0);
    expect(commits).toBe(5);
    expect(hn.events.length).toBeLessThanOrEqual(5);
    hn.stop();
    await waitForSize(A, 0);
  });
});

describe('bounds and arguments', () => {
  it('refuses a subscription past the per-connection bound, with a clear error', async () => {
    const c = client(A);
    const four = [1, 2, 3, 4].map(() => listen(c, FIGURES, {}));
    await subscribed(A, 4);
    const fifth = listen(c, FIGURES, {});
    const [error] = (await fifth.failed()) as { message: string; extensions: Record<string, unknown> }[];
    expect(error.extensions).toEqual({ code: 'TOO_MANY_SUBSCRIPTIONS', setting: 'LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', limit: 4 });
    expect(error.message).toMatch(/already holds 4 subscriptions, the most allowed \(LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION\)/);
    // Another connection is not held to this one's count.
    const other = listen(client(A), FIGURES, {});
    await subscribed(A, 5);
    for (const l of [...four, other]) l.stop();
    await waitForSize(A, 0);
  });

  it('refuses a subscription past the process-wide bound', async () => {
    const [c1, c2] = [client(B), client(B)];
    const held = [listen(c1, FIGURES, {}), listen(c2, FIGURES, {})];
    await subscribed(B, 2);
    const third = listen(client(B), `subscription { sourceStatusChanged { dataVersion } }`);
    const [error] = (await third.failed()) as { extensions: Record<string, unknown> }[];
    expect(error.extensions).toEqual({ code: 'TOO_MANY_SUBSCRIPTIONS', setting: 'LIVE_MAX_SUBSCRIPTIONS', limit: 2 });
    for (const l of held) l.stop();
    await waitForSize(B, 0);
  });

  it('names the bad argument (BAD_USER_INPUT)', async () => {
    const c = client(A);
    const cases: [Record<string, unknown>, string][] = [
      [{ filter: { provinceCodes: ['99'] } }, 'filter.provinceCodes'],
      [{ filter: { sectorCodes: ['HOTICH'] } }, 'filter.sectorCodes'],
      [{ period: { from: '2022-01', to: '2021-01' } }, 'period'],
      [{ filter: { unitCodes: ['x'.repeat(40)] } }, 'filter.unitCodes'],
    ];
    for (const [variables, field] of cases) {
      const [error] = (await listen(c, FIGURES, variables).failed()) as { extensions: { code: string; problems: { field: string }[] } }[];
      expect({ field, code: error.extensions.code, fields: error.extensions.problems.map((p) => p.field) }).toEqual({ field, code: 'BAD_USER_INPUT', fields: [field] });
    }
    // An unknown enum value, as graphql-js coerces variables.
    const [bad] = (await listen(c, FIGURES, { indicators: ['NOPE'] }).failed()) as { message: string }[];
    expect(bad.message).toMatch(/NOPE/);
  });

  it('applies the HTTP cost and depth rules, and serves only subscriptions', async () => {
    const c = client(A);
    const deep = `subscription { sourceStatusChanged { sources { runs { source { runs { source { runs { source { runs { source { runs { source { runs { source { code } } } } } } } } } } } } } } }`;
    const [depth] = (await listen(c, deep).failed()) as { extensions: { code: string } }[];
    expect(depth.extensions.code).toBe('QUERY_TOO_COSTLY');
    const [query] = (await listen(c, '{ units { totalCount } }').failed()) as { message: string }[];
    expect(query.message).toMatch(/only subscriptions are served/);
  });

  it('closes a connection that presents an invalid API key (4401), as HTTP answers 401', async () => {
    let closed: [number, string] | undefined;
    const c = client(A, { key: 'dvc_000000000000_notakeynotakeynotakeynotakeynotakeynotakeyx', onClose: (code, reason) => (closed = [code, reason]) });
    listen(c, FIGURES, {});
    await waitFor('the connection to close', () => closed, 10_000);
    expect(closed).toEqual([4401, 'Invalid API key: unknown or revoked API key']);
  });
});

describe('sourceStatusChanged', () => {
  it('hears a source status written through the other process', async () => {
    const c = client(A);
    const one = listen(c, `subscription { sourceStatusChanged(source: "push:ha-noi-portal") { commits sources { code status consecutiveFailures lastError } } }`);
    const all = listen(c, `subscription { sourceStatusChanged { sources { code status } } }`);
    await subscribed(A, 2);
    // As the sync service records a failed sync (src/sync/sync.service.ts), on B's pool.
    await B.db.sql.query(`UPDATE source SET consecutive_failures = consecutive_failures + 1, last_error = 'timeout', status = 'degraded' WHERE code = 'push:tay-ninh-lgsp'`);
    await B.db.sql.query(`UPDATE source SET consecutive_failures = consecutive_failures + 1, last_error = 'timeout', status = 'degraded' WHERE code = 'push:ha-noi-portal'`);
    const [event] = await one.count(1);
    expect(event.sourceStatusChanged).toEqual({ commits: 1, sources: [{ code: 'push:ha-noi-portal', status: 'DEGRADED', consecutiveFailures: 1, lastError: 'timeout' }] });
    const both = await all.count(2);
    expect(both.map((e) => e.sourceStatusChanged.sources)).toEqual([[{ code: 'push:tay-ninh-lgsp', status: 'DEGRADED' }], [{ code: 'push:ha-noi-portal', status: 'DEGRADED' }]]);
    // A figures-only commit is no source event.
    await push({ filings: [filing('01', '2019-01', 1)] }, haNoi);
    await B.db.sql.query(`UPDATE source SET status = 'healthy', consecutive_failures = 0, last_error = NULL WHERE code = 'push:ha-noi-portal'`);
    await one.count(2);
    expect(all.events.length).toBe(3);
    expect(one.events[1].sourceStatusChanged.sources[0]).toMatchObject({ status: 'HEALTHY', lastError: null });
  });
});

async function waitForSize(gw: LiveGateway, n: number): Promise<void> {
  await waitFor(`${n} subscriptions left`, () => gw.services.live?.size === n, 10_000, 10);
}

async function waitForMonths(l: { events: any[] }, months: string[]): Promise<void> {
  const heard = () => new Set(l.events.flatMap((e) => e.figuresChanged.changes.flatMap((c: { months: string[] | null }) => c.months ?? [])));
  await waitFor(`months ${months.join(', ')}`, () => months.every((m) => heard().has(m)), 20_000, 10);
}
