import fs from 'node:fs';
import path from 'node:path';
import { startTestGateway, TestGateway } from '../support/harness';
import { loadFixture } from './fixture';

/**
 * Runs every query of docs/queries.md against the fixture and compares each answer with the json
 * block printed after it, so the documented outputs cannot drift. With UPDATE_DOCS=1 it writes
 * the answers into those blocks instead.
 */
const DOC = path.join(__dirname, '../../docs/queries.md');
const BLOCK = /```graphql\n((?:(?!```)[\s\S])*)```\n\n```json\n((?:(?!```)[\s\S])*)```/g;

/** Cuts long lists so the doc stays readable. */
function abbreviate(v: unknown): unknown {
  if (Array.isArray(v)) {
    const items = v.map(abbreviate);
    return items.length > 6 ? [...items.slice(0, 5), `… ${items.length - 5} more`] : items;
  }
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, abbreviate(x)]));
  return v;
}

/** One line per innermost object, to keep outputs short. */
function compact(v: unknown, indent = ''): string {
  const flat = JSON.stringify(v);
  if (flat.length <= 110 - indent.length) return flat;
  const next = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => next + compact(x, next)).join(',\n')}\n${indent}]`;
  if (v && typeof v === 'object') {
    return `{\n${Object.entries(v).map(([k, x]) => `${next}${JSON.stringify(k)}: ${compact(x, next)}`).join(',\n')}\n${indent}}`;
  }
  return flat;
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await loadFixture(gw.db);
});
afterAll(() => gw?.stop());

it('every query in docs/queries.md answers what the doc prints', async () => {
  const doc = fs.readFileSync(DOC, 'utf8');
  const blocks = [...doc.matchAll(BLOCK)];
  expect(blocks.length).toBeGreaterThanOrEqual(7);
  const outputs: string[] = [];
  for (const b of blocks) {
    const res = await gw.gql(b[1]);
    expect(res.errors).toBeUndefined();
    // Timestamps change on every run.
    const data = JSON.parse(JSON.stringify(res.data), (k, v) => (k === 'lastIngestAt' ? undefined : v));
    outputs.push(compact(abbreviate(data)));
  }
  if (process.env.UPDATE_DOCS) {
    let i = 0;
    fs.writeFileSync(DOC, doc.replace(BLOCK, (_all, query: string) => `\`\`\`graphql\n${query}\`\`\`\n\n\`\`\`json\n${outputs[i++]}\n\`\`\``));
    return;
  }
  expect(blocks.map((b) => b[2].trim())).toEqual(outputs);
});
