import fs from 'node:fs';
import path from 'node:path';

/**
 * `npm run docs:demo`: runs every GraphQL block of docs/demo.md against a running gateway
 * (GATEWAY_URL, default the `npm start` address) and writes the real answer in the JSON block
 * that follows it, so the documented outputs are what the demo data gives. Lists longer than
 * MAX_ITEMS are cut, saying how many were left out.
 */
const MAX_ITEMS = 8;
const url = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000/graphql';
const file = path.join(__dirname, '../../docs/demo.md');

function cut(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_ITEMS).map(cut);
    return value.length > MAX_ITEMS ? [...kept, `… ${value.length - MAX_ITEMS} more`] : kept;
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v)]));
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 10000) / 10000 : value;
}

/** JSON with leaf objects and arrays of scalars on one line: readable, and diffs stay small. */
function format(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat.length <= 110 || value === null || typeof value !== 'object') return flat;
  const inner = indent + '  ';
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  return `{\n${Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`).join(',\n')}\n${indent}}`;
}

async function main(): Promise<void> {
  let doc = fs.readFileSync(file, 'utf8');
  const blocks = [...doc.matchAll(/```graphql\n([\s\S]*?)```\n\n```json\n[\s\S]*?```/g)];
  for (const b of blocks) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: b[1] }) });
    const body = (await res.json()) as { data?: unknown; errors?: unknown };
    if (body.errors) throw new Error(`query failed: ${JSON.stringify(body.errors)}\n${b[1]}`);
    doc = doc.replace(b[0], `\`\`\`graphql\n${b[1]}\`\`\`\n\n\`\`\`json\n${format(cut(body.data))}\n\`\`\``);
  }
  fs.writeFileSync(file, doc);
  console.log(`docs/demo.md: ${blocks.length} outputs refreshed from ${url}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
