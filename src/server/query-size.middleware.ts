import express from 'express';
import { BREAK, GraphQLError, Lexer, parse, Source, TokenKind, visit } from 'graphql';
import { BoundedCache, stringBytes } from '../common/bounded-cache';
import { sendJsonError } from './error.middleware';
import { getParamsOf } from './request-shape.middleware';

export interface QuerySizeLimits {
  /** Bytes of the GraphQL document itself (an ingest batch belongs in variables, not in the document). */
  maxQueryBytes: number;
  /** Lexical tokens of the document, counted as graphql-js's parser counts them (comments excluded). */
  maxQueryTokens: number;
  /** Field selections written in the document (fragments not expanded: the cost check does that). */
  maxQueryFields: number;
  /** Deepest nesting of braces, parentheses and brackets, checked before the (recursive) parser runs. */
  maxQueryNesting: number;
}

/** The document of a GET (?query=) or POST ({"query": ...}) request, when there is exactly one string. */
function documentOf(req: express.Request): string | undefined {
  if (req.method === 'GET') {
    const q = getParamsOf(req).getAll('query');
    return q.length === 1 ? q[0] : undefined;
  }
  const body = req.body as { query?: unknown } | undefined;
  return body && typeof body === 'object' && typeof body.query === 'string' ? body.query : undefined;
}

/** What lexing a document tells: its tokens, and its deepest nesting of braces, parentheses and brackets. */
export interface DocumentShape {
  tokens: number;
  nesting: number;
}

const OPENING = new Set<string>([TokenKind.BRACE_L, TokenKind.PAREN_L, TokenKind.BRACKET_L]);
const CLOSING = new Set<string>([TokenKind.BRACE_R, TokenKind.PAREN_R, TokenKind.BRACKET_R]);

/**
 * Lexes up to `maxTokens + 1` tokens, or until nesting passes `maxNesting`: linear in the text and
 * stopping early. graphql's parser is recursive: 3,000 nested selection sets (within 15,000
 * tokens) overflowed its stack, and the client read "Maximum call stack size exceeded". A lexical
 * error stops the count; the parser then reports it in its own words.
 */
export function measureDocumentText(text: string, maxTokens: number, maxNesting = Infinity): DocumentShape {
  const lexer = new Lexer(new Source(text));
  let tokens = 0;
  let depth = 0;
  let nesting = 0;
  try {
    while (tokens <= maxTokens && nesting <= maxNesting) {
      const kind = lexer.advance().kind;
      if (kind === TokenKind.EOF) break;
      tokens += 1;
      if (OPENING.has(kind)) nesting = Math.max(nesting, ++depth);
      else if (CLOSING.has(kind)) depth -= 1;
    }
  } catch (e) {
    if (!(e instanceof GraphQLError)) throw e;
  }
  return { tokens, nesting };
}

/**
 * Counts field selections as written, up to `max + 1`. Validation's overlapping-fields rule is
 * quadratic in same-named fields of one selection set: 1,700 copies of `unit(code:"1"){code}`
 * (within 15,000 tokens) kept the event loop busy 0.5-0.65 s, so the count is capped before
 * validation. A document that does not parse counts 0: Apollo's parser then reports it.
 */
export function countFields(text: string, max: number, maxTokens: number): number {
  let doc;
  try {
    doc = parse(text, { maxTokens, noLocation: true });
  } catch {
    return 0;
  }
  let n = 0;
  visit(doc, {
    Field() {
      n += 1;
      return n > max ? BREAK : undefined;
    },
  });
  return n;
}

/**
 * Memory for the texts already measured within the limits (ACCEPTED_TEXTS_BYTES, two bytes a
 * character): dashboards send the same few documents over and over, and lexing then parsing one
 * again on every request was 5% of a unit lookup's CPU (the lexer, countFields' parse and visit).
 * The verdict depends on the text and the limits alone; refusals are not kept (they are rare, and
 * a client sending fresh texts only fills the memory up to its bound).
 */
const ACCEPTED_TEXTS_BYTES = 4 * 1024 * 1024;

/**
 * Caps the document's size and tokens before Apollo parses it: 400 QUERY_TOO_LARGE. The parser is
 * also given maxTokens (app.ts) as a second guard; this check answers first, with a clearer code
 * and a status that does not depend on the Accept header.
 */
export function limitQuerySize(limits: QuerySizeLimits): express.RequestHandler {
  const accepted = new BoundedCache<string, true>(ACCEPTED_TEXTS_BYTES, stringBytes);
  return (req, res, next) => {
    const doc = documentOf(req);
    if (doc === undefined || accepted.get(doc)) return next();
    const bytes = Buffer.byteLength(doc);
    if (bytes > limits.maxQueryBytes) {
      return sendJsonError(req, res, 400, 'QUERY_TOO_LARGE', `The GraphQL document is ${bytes} bytes, more than the ${limits.maxQueryBytes} allowed: send data in variables.`, {
        extensions: { maxBytes: limits.maxQueryBytes },
      });
    }
    const shape = measureDocumentText(doc, limits.maxQueryTokens, limits.maxQueryNesting);
    if (shape.nesting > limits.maxQueryNesting) {
      return sendJsonError(req, res, 400, 'QUERY_TOO_LARGE', `The GraphQL document nests braces, parentheses and brackets more than ${limits.maxQueryNesting} deep: flatten it.`, {
        extensions: { maxNesting: limits.maxQueryNesting },
      });
    }
    if (shape.tokens > limits.maxQueryTokens) {
      return sendJsonError(req, res, 400, 'QUERY_TOO_LARGE', `The GraphQL document has more than ${limits.maxQueryTokens} tokens: split it, or send data in variables.`, {
        extensions: { maxTokens: limits.maxQueryTokens },
      });
    }
    if (countFields(doc, limits.maxQueryFields, limits.maxQueryTokens) > limits.maxQueryFields) {
      return sendJsonError(req, res, 400, 'QUERY_TOO_LARGE', `The GraphQL document selects more than ${limits.maxQueryFields} fields: split it, or use fragments and aliases sparingly.`, {
        extensions: { maxFields: limits.maxQueryFields },
      });
    }
    accepted.set(doc, true);
    next();
  };
}
