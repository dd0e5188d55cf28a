/**
 * The documented queries and their printed answers: every ```graphql block of the documented
 * files that holds an operation is followed (after one blank line) by a ```json block with the
 * default world's answer, cut and formatted here. test/docs/documented-queries.test.ts runs them
 * against the default world and compares, or with UPDATE_DOCS=1 (`npm run docs:update`) writes
 * the answers in. This module is the one owner of the cutting, formatting and volatile fields.
 */

/** The files whose queries are run (paths from the project root). */
export const DOCUMENTED_FILES = ['README.md', 'docs/queries.md', 'docs/demo.md', 'docs/index-766.md'] as const;

/** Lists longer than this are cut to it, with a last item saying how many were left out. */
export const MAX_LIST_ITEMS = 8;
/** Fractions are rounded to this many decimals (half up): readable, and the same on every run. */
const SCALE = 10_000;
/** A line of JSON longer than this is broken into one line per member. */
const LINE_WIDTH = 110;

export interface DocumentedQuery {
  /** 1-based line of the ```graphql fence, to name the query in a failure. */
  line: number;
  query: string;
  /** The printed answer (the ```json block's text), null when the block has none. */
  printed: string | null;
}

/** A ```graphql block, then optionally a blank line and a ```json block. */
const BLOCK = /```graphql\n((?:(?!```)[\s\S])*)```(\n\n```json\n((?:(?!```)[\s\S])*)```)?/g;

/** Whether a graphql block is an operation to run (not a schema signature such as `aggregate(query: …): …`). */
function isOperation(text: string): boolean {
  return /^\s*(\{|query\b|mutation\b)/.test(text);
}

/** The operations of a Markdown text, in order, with what is printed after each. */
export function documentedQueries(markdown: string): DocumentedQuery[] {
  const out: DocumentedQuery[] = [];
  for (const m of markdown.matchAll(BLOCK)) {
    if (!isOperation(m[1])) continue;
    const line = markdown.slice(0, m.index).split('\n').length;
    out.push({ line, query: m[1], printed: m[3] === undefined ? null : m[3].trimEnd() });
  }
  return out;
}

/** The text with each operation's json block set to the given answer (added where missing). */
export function withAnswers(markdown: string, answers: readonly string[]): string {
  let i = 0;
  return markdown.replace(BLOCK, (all: string, query: string) => {
    if (!isOperation(query)) return all;
    return `\`\`\`graphql\n${query}\`\`\`\n\n\`\`\`json\n${answers[i++]}\n\`\`\``;
  });
}

/**
 * Timestamps of runs and syncs change on every start; nothing else may. A key ending in `At`
 * whose value is an ISO date-time (lastIngestAt, startedAt, lastSuccessAt, …) is volatile.
 */
function isVolatile(key: string, value: unknown): boolean {
  return key.endsWith('At') && typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value);
}

/** Long lists cut, fractions rounded. */
function cut(value: unknown): unknown {
  if (Array.isArray(value)) {
    const kept = value.slice(0, MAX_LIST_ITEMS).map(cut);
    return value.length > MAX_LIST_ITEMS ? [...kept, `… ${value.length - MAX_LIST_ITEMS} more`] : kept;
  }
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cut(v)]));
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * SCALE) / SCALE : value;
}

/** JSON with each object or list on one line when it fits: short, and diffs stay small. */
function format(value: unknown, indent = ''): string {
  const flat = JSON.stringify(value);
  if (flat.length <= LINE_WIDTH - indent.length || value === null || typeof value !== 'object') return flat;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((v) => inner + format(v, inner)).join(',\n')}\n${indent}]`;
  return `{\n${Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** How an answer's `data` is printed in the docs. */
export function printedAnswer(data: unknown): string {
  return format(cut(data));
}

/** A printed answer with its volatile values replaced, for comparing two runs. */
export function comparable(printed: string): string {
  const masked = JSON.parse(printed, (key, value: unknown) => (isVolatile(key, value) ? '<volatile>' : value)) as unknown;
  return format(masked);
}
