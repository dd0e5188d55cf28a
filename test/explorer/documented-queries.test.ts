import { parse, validate } from 'graphql';
import { projectRoot } from '../../src/config/project-root';
import { queriesInMarkdown, readDocumentedQueries } from '../../src/explorer/documented-queries';
import { createSchema } from '../../src/server/schema';
import { startTestGateway } from '../support/harness';

describe('the documented queries the explorer opens with', () => {
  it('reads named operations with their reader from the headings, and skips anything else', () => {
    const md = [
      '# Title', '', '```graphql', 'aggregate(query: AggregateInput!): AggregateResult!', '```',
      '## Journalist: a monthly trend', '', '```graphql', 'query MonthlyTrend { sources { code } }', '```',
      '```json', '{ "query": "query NotThis { x }" }', '```',
      '### Level taxonomies side by side', '```graphql', 'query Taxonomies { sources { code } }', '```',
      '## Operator: runs', '```graphql', '{ sources { code } }', '```',
    ].join('\n');
    expect(queriesInMarkdown(md, 'docs/x.md')).toEqual([
      { name: 'MonthlyTrend', audience: 'journalist', title: 'a monthly trend', source: 'docs/x.md#journalist-a-monthly-trend', query: 'query MonthlyTrend { sources { code } }' },
      { name: 'Taxonomies', audience: 'start', title: 'Level taxonomies side by side', source: 'docs/x.md#level-taxonomies-side-by-side', query: 'query Taxonomies { sources { code } }' },
    ]);
  });

  it('finds queries for every kind of reader in the docs, each valid against the schema', async () => {
    const queries = readDocumentedQueries(projectRoot());
    expect(new Set(queries.map((q) => q.audience))).toEqual(new Set(['start', 'dashboard', 'journalist', 'integrator', 'operator']));
    expect(new Set(queries.map((q) => q.name)).size).toBe(queries.length);
    const schema = await createSchema();
    for (const q of queries) expect({ name: q.name, errors: validate(schema, parse(q.query)).map((e) => e.message) }).toEqual({ name: q.name, errors: [] });
  });
});

describe('LANDING_PAGE=false', () => {
  it('serves no explorer, and answers a browser on /graphql with JSON', async () => {
    const gw = await startTestGateway({ landingPage: false });
    try {
      const base = gw.app.url.replace(/\/graphql$/, '');
      const root = await fetch(`${base}/`, { headers: { accept: 'text/html' } });
      expect(root.status).toBe(404);
      expect(root.headers.get('content-type')).toMatch(/^application\/json/);
      const graphql = await fetch(gw.app.url, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' }, redirect: 'manual' });
      expect(graphql.status).toBe(400);
      expect(graphql.headers.get('content-type')).toMatch(/^application\/json/);
      // Exports are part of the API, not of the explorer: still there.
      expect((await fetch(`${base}/export/sources.csv`)).status).toBe(200);
    } finally {
      await gw.stop();
    }
  });
});
