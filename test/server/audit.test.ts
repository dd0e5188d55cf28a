import { auditServer } from 'graphql-http';
import { startTestGateway, TestGateway } from '../support/harness';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

describe('GraphQL over HTTP', () => {
  it('passes the graphql-http server audit with no error and no warning', async () => {
    const results = await auditServer({ url: gw.app.url });
    const failed = results.filter((r) => r.status !== 'ok').map((r) => `${r.status} ${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`);
    expect(failed).toEqual([]);
    expect(results.length).toBeGreaterThanOrEqual(61);
    const counts: Record<string, number> = { ok: 0, warn: 0, error: 0 };
    for (const r of results) counts[r.status] += 1;
    expect(counts).toEqual({ ok: results.length, warn: 0, error: 0 });
  });
});
