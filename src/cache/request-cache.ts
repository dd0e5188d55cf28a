import express from 'express';
import { seenVersionOf } from '../db/read-router';
import { DataStamp, DataVersion } from './data-version';

/**
 * What the cache knows of one request, shared by the Express middleware (304, the front cache)
 * and the Apollo plugins through the context: the data stamp, read at most once and before the
 * operation runs, and whether the answer may be kept.
 */
export class RequestCache {
  private read: Promise<DataStamp | undefined> | undefined;
  /** Set by the HTTP caching plugin: a public read, without errors, cacheable (src/cache/response-cache.ts). */
  keep = false;
  /**
   * Set by the front cache on its miss: it keeps this answer's bytes when `keep` says so, and
   * Apollo's response cache does not keep a second copy (src/cache/response-cache.ts).
   */
  front = false;

  /**
   * The data version's reader: the primary's, or with read replicas the request's route (the
   * server that answers); `seen`, the version the client says it has seen (X-Data-Version or an
   * ETag), below which its answer never goes.
   */
  constructor(
    private readonly version: Pick<DataVersion, 'read'>,
    private readonly seen?: bigint,
  ) {}

  /**
   * The stamp, or undefined when the version could not be read (the database is unreachable; the
   * read told its health): the request then runs uncached, and fails or succeeds in its own words.
   */
  stamp(): Promise<DataStamp | undefined> {
    return (this.read ??= this.version.read(this.seen).catch(() => undefined));
  }
}

/** The request's RequestCache, kept on the response (res.locals) so that middleware and context share it. */
export function requestCacheOf(req: express.Request, res: express.Response, version: DataVersion): RequestCache {
  const locals = res.locals as { requestCache?: RequestCache };
  return (locals.requestCache ??= new RequestCache(version, seenVersionOf(req)));
}
