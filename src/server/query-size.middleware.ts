import express from 'express';
import { BREAK, GraphQLError, Lexer, parse, Source, TokenKind, visit } from 'graphql';
import { sendJsonError } from './error.middleware';

export interface QuerySizeLimits {
  /** Bytes of the GraphQL document itself (an ingest batch belongs in variables, not in the document). */
  maxQueryBytes: number;
  /** Lexical tokens of the document, counted as graphql-js's parser counts them (comments excluded). */
  maxQueryTokens: number;
  /** Field selections written in the document (fragments not expanded: the cost check does that). */
  maxQueryFields: number;
}

/** The document of a GET (?query=) or POST ({"query": ...}) request, when there is exactly one string. */
function documentOf(req: express.Request): string | undefined {
  if (req.method === 'GET') {
    const q = new URLSearchParams(req.url.split('?')[1] ?? '').getAll('query');
    return q.length === 1 ? q[0] : undefined;
  }
  const body = req.body as { query?: unknown } | undefined;
  return body && typeof body === 'object' && typeof body.query === 'string' ? body.query : undefined;
}

/**
 * Counts tokens up to `max + 1`, lexing only: linear in the text and stopping early. A lexical
 * error stops the count; the parser then reports it in its own words.
 */
export function countTokens(text: string, max: number): number {
  const lexer = new Lexer(new Source(text));
  let n = 0;
  try {
    while (n <= max && lexer.advance().kind !== TokenKind.EOF) n += 1;
  } catch (e) {
    if (!(e instanceof GraphQLError)) throw e;
  }
  return n;
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
 * Caps the document's size and tokens before Apollo parses it: 400 QUERY_TOO_LARGE. The parser is
 * also given maxTokens (app.ts) as a second guard; this check answers first, with a clearer code
 * and a status that does not depend on the Accept header.
 */
export function limitQuerySize(limits: QuerySizeLimits): express.RequestHandler {
  return (req, res, next) => {
    const doc = documentOf(req);
    if (doc === undefined) return next();
    const bytes = Buffer.byteLength(doc);
    if (bytes > limits.maxQueryBytes) {
      return sendJsonError(req, res, 400, 'QUERY_TOO_LARGE', `The GraphQL document is ${bytes} bytes, more than the ${limits.maxQueryBytes} allowed: send data in variables.`, {
        extensions: { maxBytes: limits.maxQueryBytes },
      });
    }
    if (countTokens(doc, limits.maxQueryTokens) > limits.maxQueryTokens) {
      return sendJsonError(req, res, 400, 'QUERY_TOO_LARGE', `The GraphQL document has more than ${limits.maxQueryTokens} tokens: split it, or send data in variables.`, {
        extensions: { maxTokens: limits.maxQueryTokens },
      });
    }
    if (countFields(doc, limits.maxQueryFields, limits.maxQueryTokens) > limits.maxQueryFields) {
      return sendJsonError(req, res, 400, 'QUERY_TOO_LARGE', `The GraphQL document selects more than ${limits.maxQueryFields} fields: split it, or use fragments and aliases sparingly.`, {
        extensions: { maxFields: limits.maxQueryFields },
      });
    }
    next();
  };
}
