import { BoundedCache } from '../../src/common/bounded-cache';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * The request pipeline keeps, per document, what depends on the document alone (issue 11, item
 * 1): the size verdict, the literals' hygiene steps, and the cost when no variable enters it. The
 * same document sent again with other variables must still be judged on those variables.
 * The response cache is off here, so every request runs the whole pipeline.
 */
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ responseCache: false, maxQueryCost: 1000 });
});
afterAll(() => gw?.stop());

describe('BoundedCache', () => {
  it('keeps entries within its bytes, evicting the least recently used first', () => {
    const cache = new BoundedCache<string, number>(10, (_k, v) => v);
    cache.set('a', 4);
    cache.set('b', 4);
    expect(cache.get('a')).toBe(4); // a is now the most recently used
    cache.set('c', 4); // 12 > 10: b goes
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(4);
    expect(cache.get('c')).toBe(4);
    expect(cache.size).toBe(8);
    cache.set('d', 11); // larger than the whole bound: not kept, nothing evicted
    expect(cache.get('d')).toBeUndefined();
    expect(cache.count).toBe(2);
    cache.set('a', 2); // replaced: its bytes counted once
    expect(cache.size).toBe(6);
  });
});

describe('one document, several requests', () => {
  const PAGE = 'query ($n: Int) { units(first: $n) { nodes { code } } }';

  it('judges a null variable for a non-null argument on each request', async () => {
    const ok = await gw.gql(PAGE, { n: 2 });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.units.nodes).toHaveLength(2);
    const bad = await gw.gql(PAGE, { n: null });
    expect(bad.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ field: 'first', reason: 'must not be null (variable $n is null; leave the argument out for its default)' }],
    });
    const again = await gw.gql(PAGE, { n: 3 });
    expect(again.errors).toBeUndefined();
    expect(again.data.units.nodes).toHaveLength(3);
  });

  it('reports a bad literal every time the document comes', async () => {
    const query = '{ unit(code: "4\\u00006") { code } }';
    for (let i = 0; i < 2; i++) {
      const res = await gw.gql(query);
      expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', problems: [{ field: 'code' }] });
    }
  });

  it('costs a page by the size its variable asks for on each request (1 + 2 a row; the limit is 1000 here)', async () => {
    expect((await gw.gql(PAGE, { n: 10 })).errors).toBeUndefined();
    const costly = await gw.gql(PAGE, { n: 500 });
    expect(costly.errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 1001, maxCost: 1000 });
    expect((await gw.gql(PAGE, {})).errors).toBeUndefined(); // the default, 50: cost 101
    expect((await gw.gql(PAGE, { n: 10 })).errors).toBeUndefined();
  });

  it('costs a document whose sizes are literals once, the same for everyone', async () => {
    const query = '{ units(first: 499) { nodes { code } } }'; // 1 + 2 × 499 = 999
    for (let i = 0; i < 2; i++) expect((await gw.gql(query)).errors).toBeUndefined();
    const over = '{ units(first: 500) { nodes { code } } }';
    for (let i = 0; i < 2; i++) expect((await gw.gql(over)).errors?.[0].extensions).toMatchObject({ code: 'QUERY_TOO_COSTLY', cost: 1001 });
  });
});
