import { queryCounter } from '../../src/db/query-counter';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * The gateway is an Apollo Federation 2 subgraph: a router reads its SDL from `_service` and
 * fetches its entities by key through `_entities`, batched like any other field.
 */
describe('federation subgraph', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.stop());

  it('publishes its SDL with the federation link and a key on each entity', async () => {
    const res = await gw.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    expect(res.errors).toBeUndefined();
    const sdl = res.data!._service.sdl;
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])');
    for (const type of ['Unit', 'Procedure', 'Sector', 'Service', 'Source']) expect(sdl).toMatch(new RegExp(`type ${type}[^{]*@key\\(fields: "id"\\)`));
    // The rest of the schema is all there.
    expect(sdl).toContain('aggregate(');
  });

  it('resolves entity references by id, a batch per type, and null for an unknown id', async () => {
    const units = await gw.db.sql.query<{ id: number; code: string; name: string }>(
      `SELECT id, code, name FROM unit WHERE code IN ('01', '79', '96') AND valid_to IS NULL ORDER BY code`,
    );
    const [source] = await gw.db.sql.query<{ id: number; code: string }>(`SELECT id, code FROM source WHERE code = 'reference'`);
    const representations = [
      ...units.map((u) => ({ __typename: 'Unit', id: String(u.id) })),
      { __typename: 'Source', id: String(source.id) },
      { __typename: 'Unit', id: '999999999' },
    ];
    queryCounter.reset(true);
    const res = await gw.gql<{ _entities: ({ code: string; name?: string } | null)[] }>(
      `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Unit { code name } ... on Source { code } } }`,
      { r: representations },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!._entities).toEqual([...units.map((u) => ({ code: u.code, name: u.name })), { code: 'reference' }, null]);
    // One statement for the four units, one for the source (auth and context add none here).
    expect({ statements: queryCounter.total, sql: queryCounter.statements.map((q) => q.slice(0, 120)) }).toMatchObject({ statements: 2 });
  });
});
