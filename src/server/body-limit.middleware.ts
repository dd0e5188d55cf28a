import express from 'express';
import { identityOf } from './caller.middleware';
import { sendJsonError } from './error.middleware';
import { jsonNestingExceeds } from './request-shape.middleware';

export interface BodyLimits {
  /** Bodies of anonymous requests, and of every request that turns out not to be a mutation. */
  maxQueryBytes: number;
  /** Bodies of requests with a valid API key (an ingest batch). */
  maxIngestBytes: number;
  /** Deepest nesting of arrays and objects in the body (request-shape.middleware.ts says why). */
  maxJsonNesting: number;
}

const BYTES_KEY = 'bodyBytes';

/** Size of the request body read, in bytes (0 for GET). */
export function bodyBytesOf(res: express.Response): number {
  return (res.locals[BYTES_KEY] as number | undefined) ?? 0;
}

/** The charset parameter of a Content-Type, lower-cased and unquoted, if any. */
function charsetOf(contentType: string): string | undefined {
  for (const param of contentType.split(';').slice(1)) {
    const [name, value] = param.split('=');
    if (name?.trim().toLowerCase() === 'charset') return value?.trim().replace(/^"(.*)"$/, '$1').toLowerCase();
  }
  return undefined;
}

/**
 * Reads a JSON request body within a size limit, and answers every way it can go wrong with a JSON
 * error (never Express's HTML page, never the body itself):
 *
 * - not `application/json`, a charset other than utf-8, or a Content-Encoding: 415;
 * - a Content-Length over the limit: 413 before reading a byte, and the connection is closed
 *   rather than drained;
 * - a chunked body that grows past the limit: 413 as soon as it does, reading stops;
 * - bytes that are not UTF-8, or text that is not JSON: 400.
 *
 * The limit is the query limit, or the ingest limit for callers with a valid API key (checked
 * before this runs); body-limit.plugin.ts then holds anything but a mutation to the query limit.
 * A hand-written reader rather than body-parser: body-parser reads an oversized body to its end
 * before answering, which lets a client keep the server busy for as long as it keeps sending.
 */
export function readJsonBody(limits: BodyLimits): express.RequestHandler {
  // One decoder for every request: decode() without `stream` keeps no state between calls.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return (req, res, next) => {
    req.body = undefined;
    if (req.method !== 'POST') return next(); // GET carries its operation in the URL; Apollo refuses the rest
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return sendJsonError(req, res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'POST bodies must be JSON: send Content-Type: application/json.', { close: true });
    }
    const charset = charsetOf(type);
    if (charset !== undefined && charset !== 'utf-8') {
      return sendJsonError(req, res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Only the utf-8 charset is accepted.', { close: true });
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      return sendJsonError(req, res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Compressed request bodies are not accepted: send the body without Content-Encoding.', { close: true });
    }
    const limit = identityOf(res).kind === 'key' ? limits.maxIngestBytes : limits.maxQueryBytes;
    const tooLarge = () => sendJsonError(req, res, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than the ${limit} bytes allowed${limit === limits.maxQueryBytes ? ' (for queries)' : ''}.`, {
      close: true, extensions: { maxBytes: limit },
    });
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) return tooLarge();

    // A client that asked to wait (Expect: 100-continue, as curl does for large uploads) sends its
    // body only now, once every check that could refuse it has passed.
    if (/100-continue/i.test(req.headers.expect ?? '')) res.writeContinue();

    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.pause();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stop();
        tooLarge();
        return;
      }
      chunks.push(chunk);
    };
    const onError = () => stop(); // the client went away: nobody to answer
    const onEnd = () => {
      stop();
      res.locals[BYTES_KEY] = size;
      let text: string;
      try {
        text = utf8.decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
      } catch {
        return sendJsonError(req, res, 400, 'BAD_REQUEST', 'The request body is not valid UTF-8.');
      }
      if (text.trim() === '') {
        req.body = {}; // Apollo answers "POST body missing" (400) in its own words
        return next();
      }
      try {
        req.body = JSON.parse(text);
      } catch {
        return sendJsonError(req, res, 400, 'BAD_REQUEST', 'The request body is not valid JSON.');
      }
      if (jsonNestingExceeds(req.body, limits.maxJsonNesting)) {
        return sendJsonError(req, res, 400, 'BAD_REQUEST', `The request body nests arrays and objects more than ${limits.maxJsonNesting} deep.`, { extensions: { maxNesting: limits.maxJsonNesting } });
      }
      next();
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  };
}
