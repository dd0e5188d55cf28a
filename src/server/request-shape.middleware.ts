import express from 'express';
import { sendJsonError } from './error.middleware';

/**
 * Guards for the shape of a GraphQL request that Apollo would otherwise answer in its own words
 * (naming itself), or not answer at all: bench:fuzz found each of them.
 */

/** GET and POST are the GraphQL-over-HTTP methods; anything else is 405 with `Allow`, in JSON. */
export function onlyGetAndPost(): express.RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'POST') return next();
    sendJsonError(req, res, 405, 'METHOD_NOT_ALLOWED', 'Send GraphQL requests with GET (queries) or POST.', { headers: { allow: 'GET, POST' } });
  };
}

/**
 * Deepest nesting of arrays and objects in a JSON value, counted without recursion (a value nested
 * 200,000 deep, which fits in 1 MB, would overflow the stack of any recursive walker: graphql's
 * variable coercion answered it with a 500). Stops as soon as `max` is passed.
 */
export function jsonNestingExceeds(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}

/** The parameters of a GET request's query string, read as URLSearchParams (a repeated name keeps every value). */
export function getParamsOf(req: express.Request): URLSearchParams {
  return new URLSearchParams(req.url.split('?')[1] ?? '');
}

/** The `extensions` of a GET (?extensions=JSON) or POST request; undefined when absent or not JSON (Apollo then says so). */
function extensionsOf(req: express.Request): unknown {
  if (req.method === 'GET') {
    const raw = getParamsOf(req).get('extensions');
    if (raw === null) return undefined;
    try {
      return JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  return (req.body as { extensions?: unknown } | undefined)?.extensions;
}

const SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Automatic persisted queries (kept: dashboards send a hash by GET, which caches well) accept one
 * protocol version, 1, with a SHA-256 hex hash. Apollo answered any other version with an uncoded
 * error, masked as INTERNAL_SERVER_ERROR: this answers 400 BAD_REQUEST naming the field.
 */
export function checkPersistedQuery(): express.RequestHandler {
  return (req, res, next) => {
    const ext = extensionsOf(req) as { persistedQuery?: unknown } | undefined;
    const pq = ext !== null && typeof ext === 'object' ? (ext.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined) : undefined;
    if (pq === undefined) return next();
    const problem = pq === null || typeof pq !== 'object'
      ? 'must be an object { version: 1, sha256Hash }'
      : pq.version !== 1
        ? 'version must be 1'
        : typeof pq.sha256Hash !== 'string' || !SHA256.test(pq.sha256Hash)
          ? 'sha256Hash must be 64 hexadecimal digits'
          : undefined;
    if (problem === undefined) return next();
    sendJsonError(req, res, 400, 'BAD_REQUEST', `Invalid extensions.persistedQuery: ${problem}.`, { extensions: { problems: [{ field: 'extensions.persistedQuery', reason: problem }] } });
  };
}
