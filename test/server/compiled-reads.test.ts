import crypto from 'node:crypto';
import { Database } from '../../src/db/database';
import { createTestDatabase } from '../support/harness';
import { ObservedGateway, startObservedGateway } from '../observability/helpers';

/**
 * The compiled reads' lane (src/server/compiled-reads.ts) answers exactly what Apollo answers:
 * two gateways on one database, one with the lane (compiled queries, the default) and one
 * without (COMPILED_READS=false: Apollo for everything, queries still compiled), are sent the same
 * requests; every answer has the same status, the same headers (but the request id and the date)
 * and the same bytes. The access log says which answers the lane gave: a document is certified by
 * Apollo's first answer, and everything the lane must not answer (refused variables, errors, a
 * bad input value, a cost over the limit, an Accept it cannot serve) goes to Apollo.
 */
describe('compiled reads lane', () => {
  let db: Database;
  const gateways: Record<'lane' | 'apollo' | 'laneNoCache' | 'apolloNoCache', ObservedGateway> = {} as never;

  beforeAll(async () => {
    db = await createTestDatabase();
    gateways.lane = await startObservedGateway({}, db);
    gateways.apollo = await startObservedGateway({ compiledReads: false }, db);
    gateways.laneNoCache = await startObservedGateway({ responseCache: false }, db);
    gateways.apolloNoCache = await startObservedGateway({ compiledReads: false, responseCache: false }, db);
  });
  afterAll(async () => {
    for (const g of Object.values(gateways)) await g?.stop();
    await db?.close();
  });

  interface Answer {
    status: number;
    headers: Record<string, string>;
    body: string;
  }

  type Send = { method?: 'GET' | 'POST'; query: string; variables?: Record<string, unknown>; operationName?: string; accept?: string; extensions?: Record<string, unknown> };

  const send = async (g: ObservedGateway, r: Send): Promise<Answer> => {
    const headers: Record<string, string> = r.accept ? { accept: r.accept } : {};
    let res: Response;
    if (r.method === 'GET') {
      const params = new URLSearchParams({ query: r.query });
      if (r.variables) params.set('variables', JSON.stringify(r.variables));
      if (r.operationName) params.set('operationName', r.operationName);
      res = await fetch(`${g.app.url}?${params}`, { headers });
    } else {
      res = await fetch(g.app.url, {
        method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ query: r.query, variables: r.variables, operationName: r.operationName, extensions: r.extensions }),
      });
    }
    const all: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      // The rate limit's reset time (t=, seconds left in the window) moves with the clock between the two requests.
      if (name !== 'x-request-id' && name !== 'date' && name !== 'keep-alive' && name !== 'connection') all[name] = name === 'ratelimit' ? value.replace(/; t=\d+/, '') : value;
    });
    return { status: res.status, headers: all, body: await res.text() };
  };

  /** The access log's `lane` mark of the last /graphql request a gateway answered. */
  const lastLane = (g: ObservedGateway): boolean => {
    const lines = g.lines.filter((l) => l.msg === 'request' && l.path === '/graphql');
    return lines.at(-1)?.lane === true;
  };

  const UNIT = 'query U($code: String!, $at: LocalDate) { unit(code: $code, at: $at) { id code name kind validFrom validTo parent { code name } } }';
  const PAGE = 'query P($n: Int!, $at: LocalDate) { units(filter: { kind: PROVINCE, validAt: $at }, first: $n) { pageInfo { hasNextPage endCursor } nodes { code name } } }';
  const BAD_RANGE = 'query A($from: YearMonth!, $to: YearMonth!) { aggregate(query: { measures: [DOSSIERS_RECEIVED], period: { from: $from, to: $to } }) { totalRows } }';

  /** Sends a request to the lane gateway and its Apollo-only twin; both must answer the same. */
  const both = async (lane: ObservedGateway, apollo: ObservedGateway, r: Send) => {
    const [a, b] = [await send(lane, r), await send(apollo, r)];
    expect(a).toEqual(b);
    expect(lastLane(apollo)).toBe(false);
    return { answer: a, lane: lastLane(lane) };
  };

  const pairs = [['response cache on', 'lane', 'apollo'], ['response cache off', 'laneNoCache', 'apolloNoCache']] as const;

  describe.each(pairs)('%s', (_name, laneName, apolloName) => {
    const pair = () => [gateways[laneName], gateways[apolloName]] as const;

    it('certifies on Apollo\'s first answer, then answers the same bytes and headers (POST and GET, both media types)', async () => {
      const [lane, apollo] = pair();
      const first = await both(lane, apollo, { query: UNIT, variables: { code: '01', at: '2024-01-01' } });
      expect(first.lane).toBe(false);
      expect(JSON.parse(first.answer.body)).toEqual({ data: { unit: expect.objectContaining({ code: '01', parent: { code: 'VN', name: 'Việt Nam' } }) } });
      // Tây Ninh (80 since 1 July 2025) and Long An (80 until then): other variables, so no cache hit answers them.
      const laneAnswers: Answer[] = [];
      for (const r of [
        { query: UNIT, variables: { code: '80', at: '2025-08-01' } },
        { query: UNIT, variables: { code: '80', at: '2024-01-01' }, accept: 'application/graphql-response+json' },
        { query: UNIT, variables: { code: 'XX', at: '2024-01-01' } },
        { method: 'GET' as const, query: UNIT, variables: { code: '79', at: '2024-01-01' } },
        { method: 'GET' as const, query: UNIT, variables: { code: '46', at: '2024-01-01' }, accept: 'application/json, application/graphql-response+json;q=0.9' },
      ]) {
        const got = await both(lane, apollo, r);
        // The GET's first sight certifies its own text (GET and POST share documents): the lane answers it.
        expect(got.lane).toBe(true);
        laneAnswers.push(got.answer);
      }
      expect(JSON.parse(laneAnswers[0].body).data.unit).toMatchObject({ code: '80', name: 'Tỉnh Tây Ninh' });
      expect(JSON.parse(laneAnswers[1].body).data.unit).toMatchObject({ code: '80', name: 'Tỉnh Long An' });
      expect(laneAnswers[1].headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
      expect(JSON.parse(laneAnswers[2].body)).toEqual({ data: { unit: null } });
      if (laneName === 'lane') {
        expect(laneAnswers[0].headers['x-cache']).toBe('MISS');
        expect(laneAnswers[3].headers['cache-control']).toMatch(/^public, max-age=\d+$/);
        expect(laneAnswers[3].headers.etag).toMatch(/^"v\d+-/);
      } else {
        expect(laneAnswers[3].headers['cache-control']).toBe('no-store');
      }
    });

    it('passes to Apollo what it must not answer: refused variables, bad input, a cost over the limit, errors, an Accept it cannot serve', async () => {
      const [lane, apollo] = pair();
      await both(lane, apollo, { query: PAGE, variables: { n: 3, at: '2024-01-01' } });
      const page = await both(lane, apollo, { query: PAGE, variables: { n: 4, at: '2024-01-01' } });
      expect(page.lane).toBe(true);
      expect(JSON.parse(page.answer.body).data.units.nodes).toHaveLength(4);
      const refused: [Send, string][] = [
        [{ query: UNIT, variables: { code: '01', at: '2024-13-45' } }, 'BAD_USER_INPUT'],
        [{ query: UNIT, variables: { at: '2024-01-01' } }, 'BAD_USER_INPUT'],
        [{ query: UNIT, variables: { code: '0\u00001', at: '2024-01-01' } }, 'BAD_USER_INPUT'],
        [{ query: UNIT, variables: { code: '01', at: '0000-01-01' } }, 'BAD_USER_INPUT'],
        [{ query: PAGE, variables: { n: 100000, at: '2024-01-01' } }, 'BAD_USER_INPUT'],
      ];
      for (const [r, code] of refused) {
        const got = await both(lane, apollo, r);
        expect(got.lane).toBe(false);
        expect((JSON.parse(got.answer.body) as { errors: { extensions: { code: string } }[] }).errors.map((e) => e.extensions.code)).toEqual([code]);
      }
      // A resolver's error: certified by a good answer first, then the lane hands the failing one to Apollo.
      await both(lane, apollo, { query: BAD_RANGE, variables: { from: '2024-01', to: '2024-06' } });
      const bad = await both(lane, apollo, { query: BAD_RANGE, variables: { from: '2024-06', to: '2024-01' } });
      expect(bad.lane).toBe(false);
      expect(bad.answer.body).toMatch(/BAD_USER_INPUT/);
      // An operation name that is no GraphQL name is Apollo's to refuse, whatever text it comes with:
      // the plan's key joins name and text with a newline, and "\nquery" + "{…}" spells the same key
      // as "" + "query\n{…}", a document certified just before.
      const body = '{ unit(code: "01", at: "2024-01-01") { code } }';
      await both(lane, apollo, { query: `query\n${body}` });
      // (By GET: the same POST again would be the front cache's.)
      expect((await both(lane, apollo, { method: 'GET', query: `query\n${body}` })).lane).toBe(true);
      const odd = await both(lane, apollo, { query: body, operationName: '\nquery' });
      expect(odd.lane).toBe(false);
      expect(odd.answer.body).toMatch(/"errors"/);
      // Extensions without a persisted query are the lane's; a persisted query's registration is Apollo's.
      expect((await both(lane, apollo, { query: UNIT, variables: { code: '92', at: '2024-01-01' }, extensions: { client: { name: 'dashboard' } } })).lane).toBe(true);
      const sha256Hash = crypto.createHash('sha256').update(UNIT).digest('hex');
      const registered = await both(lane, apollo, { query: UNIT, variables: { code: '95', at: '2024-01-01' }, extensions: { persistedQuery: { version: 1, sha256Hash } } });
      expect(registered.lane).toBe(false);
      expect(JSON.parse(registered.answer.body).data.unit).toMatchObject({ code: '95' });
      // Neither media type accepted: Apollo's 406.
      const unacceptable = await both(lane, apollo, { query: UNIT, variables: { code: '01', at: '2024-01-01' }, accept: 'text/csv' });
      expect(unacceptable.lane).toBe(false);
      expect(unacceptable.answer.status).toBe(406);
    });
  });

  it('the front cache keeps what the lane answered: the same request again is a HIT with the same bytes', async () => {
    const r: Send = { method: 'GET', query: UNIT, variables: { code: '31', at: '2024-01-01' } };
    const first = await send(gateways.lane, r);
    expect(lastLane(gateways.lane)).toBe(true);
    const again = await send(gateways.lane, r);
    expect(again.headers['x-cache']).toBe('HIT');
    expect(again.body).toBe(first.body);
    expect(again.headers.etag).toBe(first.headers.etag);
  });
});
