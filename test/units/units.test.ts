import { startTestGateway, TestGateway } from '../support/harness';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

describe('reference units', () => {
  it('has 63 provinces before the reform and 34 after, with their communes', async () => {
    const count = async (kind: string, validAt: string) =>
      (await gw.gql(`query($f: UnitFilter) { units(filter: $f, first: 1) { totalCount } }`, { f: { kind, validAt } })).data.units.totalCount;
    expect(await count('PROVINCE', '2025-06-30')).toBe(63);
    expect(await count('PROVINCE', '2025-07-01')).toBe(34);
    expect(await count('COMMUNE', '2025-06-30')).toBe(10047);
    expect(await count('COMMUNE', '2025-07-01')).toBe(3321);
  });
});
