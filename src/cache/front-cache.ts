import crypto from 'node:crypto';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import express from 'express';
import { noteCache, observedOf, ObservedRequest } from '../observability/request-observer';
import { callerOf } from '../server/caller.middleware';
import { DataVersion } from './data-version';
import { requestCacheOf } from './request-cache';

/** The headers of a kept answer that are replayed with it. */
const REPLAYED = ['content-type', 'cache-control', 'etag', 'vary'] as const;

interface FrontEntry {
  body: string;
  headers: Partial<Record<(typeof REPLAYED)[number], string>>;
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
 * rate limit, the body's reading, and the version read. Apollo's response cache stays behind it
 * for the same operation sent in other bytes (spacing, key order) and for the exports.
 *
 * The answer is kept only when the HTTP caching plugin says so (RequestCache.keep: a public read
 * without errors and without an uncached field) and its status is 200.
 */
export function frontCache(version: DataVersion, maxBytes: number): express.RequestHandler {
  const entries = new InMemoryLRUCache<FrontEntry>({ maxSize: maxBytes, sizeCalculation: sizeOfEntry });
  return async (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'POST') || callerOf(res)) return next();
    try {
      const cache = requestCacheOf(res, version);
      const stamp = await cache.stamp();
      if (!stamp) return next();
      const request = req.method === 'GET' ? req.url : JSON.stringify(req.body ?? null);
      const key = crypto.createHash('sha256').update(`${req.method}\n${req.headers.accept ?? ''}\n${stamp.version}\n${stamp.day}\n${request}`).digest('base64url');
      const hit = await entries.get(key);
      if (hit) {
        noteCache(res, 'front_hit', hit.operation);
        res.status(200).set(hit.headers).set('x-cache', 'HIT').send(hit.body);
        return;
      }
      keepOnSend(res, (body) => {
        if (!cache.keep || res.statusCode !== 200) return;
        const headers: FrontEntry['headers'] = {};
        for (const h of REPLAYED) {
          const v = res.getHeader(h);
          if (typeof v === 'string') headers[h] = v;
        }
        void entries.set(key, { body, headers, operation: observedOf(res)?.operation });
      });
      next();
    } catch (e) {
      next(e);
    }
  };
}

/** Calls `keep` with the body Apollo's Express integration sends (one string, res.send), before sending it. */
function keepOnSend(res: express.Response, keep: (body: string) => void): void {
  const send = res.send.bind(res);
  res.send = (body?: unknown) => {
    if (typeof body === 'string') keep(body);
    return send(body);
  };
}

/** Two bytes a character (V8's two-byte strings), headers and key included. */
function sizeOfEntry(entry: FrontEntry, key: string): number {
  const headers = Object.values(entry.headers).reduce((n, v) => n + (v?.length ?? 0), 0);
  return 2 * (entry.body.length + headers + key.length) + 128;
}
