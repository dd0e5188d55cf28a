import fs from 'node:fs';
import path from 'node:path';
import { Kind, parse } from 'graphql';

/**
 * The queries the explorer opens with, read from the documentation itself so that there is one
 * source: every named operation in a ```graphql block of docs/demo.md and docs/queries.md, and
 * the operator's queries of web/queries/*.graphql (the docs have none for operators yet). The web
 * build (web/scripts/web-build.js) runs this at build time and bundles the result; the docs can be
 * regenerated freely, as long as their example headings keep the "Audience: title" form.
 */
export type Audience = 'start' | 'dashboard' | 'journalist' | 'integrator' | 'operator';

export interface DocumentedQuery {
  /** The operation's name (GraphiQL's tab title). */
  name: string;
  audience: Audience;
  /** What it shows, from the heading above it. */
  title: string;
  /** Where it is documented: "docs/demo.md#anchor" or "web/queries/operator.graphql". */
  source: string;
  query: string;
}

/** The documents read, in the order shown: the demo's real answers first. */
export const DOCUMENTED_QUERY_FILES = ['docs/demo.md', 'docs/queries.md'];
export const OPERATOR_QUERY_FOLDER = 'web/queries';

/** Heading prefixes ("## Journalist: a monthly trend") and the reader they are for. */
const AUDIENCE_PREFIXES: [RegExp, Audience][] = [
  [/^dashboard\b/i, 'dashboard'],
  [/^journalist\b/i, 'journalist'],
  [/^integrator\b/i, 'integrator'],
  [/^operator\b/i, 'operator'],
];

/** The operation name of a block, or undefined when it is no single named operation (a signature, an anonymous query). */
function operationName(text: string): string | undefined {
  let doc;
  try {
    doc = parse(text, { noLocation: true });
  } catch {
    return undefined;
  }
  const ops = doc.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  return ops.length === 1 && ops[0].kind === Kind.OPERATION_DEFINITION ? ops[0].name?.value : undefined;
}

/** GitHub's anchor of a heading: lower-cased, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').trim().replace(/\s/g, '-');
}

/** "Journalist: a monthly trend" → the audience and "a monthly trend"; other headings are for everyone. */
function audienceOf(heading: string): { audience: Audience; title: string } {
  const colon = heading.indexOf(':');
  const prefix = colon >= 0 ? heading.slice(0, colon) : '';
  const match = AUDIENCE_PREFIXES.find(([re]) => re.test(prefix));
  return match ? { audience: match[1], title: heading.slice(colon + 1).trim() } : { audience: 'start', title: heading };
}

/** Named operations of one Markdown file, each with the heading it sits under. */
export function queriesInMarkdown(markdown: string, file: string): DocumentedQuery[] {
  const out: DocumentedQuery[] = [];
  let heading = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const h = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (h) heading = h[1].trim();
    if (lines[i].trim() !== '```graphql') continue;
    const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
    if (end < 0) break;
    const query = lines.slice(i + 1, end).join('\n');
    i = end;
    const name = operationName(query);
    if (!name) continue;
    out.push({ name, ...audienceOf(heading), source: `${file}#${anchorOf(heading)}`, query });
  }
  return out;
}

/** Operations of a .graphql file (one named operation per file), for the operator. */
function queryInGraphqlFile(text: string, file: string): DocumentedQuery | undefined {
  const name = operationName(text);
  if (!name) return undefined;
  // The first comment line says what it shows.
  const title = /^#\s*(.+)$/m.exec(text)?.[1].trim() ?? name;
  return { name, audience: 'operator', title, source: file, query: text.trim() };
}

/** Every documented query, first occurrence of a name kept (GraphiQL titles tabs by name). */
export function readDocumentedQueries(root: string): DocumentedQuery[] {
  const all: DocumentedQuery[] = [];
  for (const file of DOCUMENTED_QUERY_FILES) {
    const full = path.join(root, file);
    if (fs.existsSync(full)) all.push(...queriesInMarkdown(fs.readFileSync(full, 'utf8'), file));
  }
  const folder = path.join(root, OPERATOR_QUERY_FOLDER);
  if (fs.existsSync(folder)) {
    for (const name of fs.readdirSync(folder).filter((n) => n.endsWith('.graphql')).sort()) {
      const q = queryInGraphqlFile(fs.readFileSync(path.join(folder, name), 'utf8'), `${OPERATOR_QUERY_FOLDER}/${name}`);
      if (q) all.push(q);
    }
  }
  const seen = new Set<string>();
  return all.filter((q) => !seen.has(q.name) && seen.add(q.name));
}
