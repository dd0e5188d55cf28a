import crypto from 'node:crypto';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import express from 'express';
import { DATA_VERSION_HEADER, requestRouteOf } from '../db/read-router';
import { noteCache, observedOf, ObservedRequest } from '../observability/request-observer';
import { callerOf } from '../server/caller.middleware';
import { DataVersion } from './data-version';
import { requestCacheOf } from './request-cache';

/** The headers of a kept answer that are replayed with it. */
const REPLAYED = ['content-type', 'cache-control', 'etag', 'vary'] as const;

interface FrontEntry {
  /** The answer as sent, encoded once (a hit writes these bytes as they are). */
  body: Buffer;
  /** The replayed headers, with the body's length and the x-cache mark, as [name, value] pairs. */
  headers: [string, string][];
  /** The operation's name and type, for the access log and metrics of the hits (which skip Apollo). */
  operation?: ObservedRequest['operation'];
}

/**
 * The front of the response cache: the exact bytes of a public read's answer, keyed by the exact
 * request (method, Accept, and the URL of a GET or the JSON body of a POST) with the data version
 * and day, served before Apollo. A hit then skips what the same bytes already passed once (size
 * and token limits, parsing, validation, cost, value checks), the per-request context, and the
 * JSON decoding and encoding of Apollo's cache: bench:load's hits spent most of their time there
 * (a CPU profile of repeated hits). What still runs on a hit: the caller's identification, the
 * rate limit, the body's reading, and the version (from memory while DataVersion listens). The
 * answer is kept as UTF-8 bytes with its headers, and written with one end(): a profile of
 * bench:cache's hits put 7% of the gateway's time in Express's send() re-encoding the same string
 * and setting the same headers. Apollo's response cache stays behind it for the same operation
 * sent in other bytes (spacing, key order) and for the exports, but keeps only what does not come
 * through here: each answer is stored once (src/cache/response-cache.ts, frontBytes).
 *
 * The answer is kept only when the HTTP caching plugin says so (RequestCache.keep: a public read
 * without errors and without an uncached field) and its status is 200.
 */
export function frontCache(version: DataVersion, maxBytes: number): express.RequestHandler {
  const entries = new InMemoryLRUCache<FrontEntry>({ maxSize: maxBytes, sizeCalculation: sizeOfEntry });
  return async (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'POST') || callerOf(res)) return next();
    try {
      const cache = requestCacheOf(req, res, version);
      const stamp = await cache.stamp();
      if (!stamp) return next();
      // Which version answers (with read replicas the routing middleware said it already): a client may send it back.
      if (!requestRouteOf(res)) res.setHeader(DATA_VERSION_HEADER, stamp.version);
      const request = req.method === 'GET' ? req.url : JSON.stringify(req.body ?? null);
      const key = crypto.createHash('sha256').update(`${req.method}\n${req.headers.accept ?? ''}\n${stamp.version}\n${stamp.day}\n${request}`).digest('base64url');
      const hit = await entries.get(key);
      if (hit) {
        noteCache(res, 'front_hit', hit.operation);
        res.statusCode = 200;
        for (const [name, value] of hit.headers) res.setHeader(name, value);
        res.end(hit.body);
        return;
      }
      cache.front = true;
      keepOnSend(res, (body) => {
        if (!cache.keep || res.statusCode !== 200) return;
        const bytes = Buffer.from(body, 'utf8');
        const headers: [string, string][] = [];
        for (const h of REPLAYED) {
          const v = res.getHeader(h);
          if (typeof v === 'string') headers.push([h, v]);
        }
        headers.push(['content-length', String(bytes.length)], ['x-cache', 'HIT']);
        void entries.set(key, { body: bytes, headers, operation: observedOf(res)?.operation });
      });
      next();
    } catch (e) {
      next(e);
    }
  };
}

/**
 * Calls `keep` with the body Apollo's Express integration sends (one string, res.send), once sent:
 * the headers are then final (send() adds the charset to the content type).
 */
function keepOnSend(res: express.Response, keep: (body: string) => void): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    const sent = send(body);
    if (typeof body === 'string') keep(body);
    return sent;
  };
}

/** The body's bytes, the headers' characters (two bytes each: V8's two-byte strings), the key, and the objects around them. */
function sizeOfEntry(entry: FrontEntry, key: string): number {
  const headers = entry.headers.reduce((n, [name, value]) => n + name.length + value.length + 32, 0);
  return entry.body.length + 2 * (headers + key.length) + 256;
}
