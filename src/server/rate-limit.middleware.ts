import express from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit } from 'express-rate-limit';
import { identityOf } from './caller.middleware';
import { sendJsonError } from './error.middleware';
import type { Metrics } from '../observability/metrics';
import { Logger } from './logger';

export interface RateLimitSettings {
  /** Requests one client may send per window; 0 turns the limit off. */
  max: number;
  windowMs: number;
}

export interface RateLimiter {
  middleware: express.RequestHandler;
  /** Stops the store's clean-up timer (on shutdown). */
  close(): void;
}

/**
 * Client key: the API key when a valid one was presented (an integrator behind a shared NAT or
 * proxy keeps its own allowance), else the address; IPv6 addresses by /56 subnet, as one host
 * usually holds a whole subnet. An invalid key counts against the address, so guessing keys is
 * limited too. The address is the socket's, or with TRUST_PROXY the one the listed proxies
 * forwarded (Express's `req.ip`): an unlisted hop's X-Forwarded-For is never believed.
 */
function clientKey(req: express.Request, res: express.Response): string {
  const id = identityOf(res);
  if (id.kind === 'key') return `key:${id.caller.keyId}`;
  return `ip:${ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? 'unknown', 56)}`;
}

/**
 * Per-client fixed-window rate limit (express-rate-limit, in-process memory store: each gateway
 * process counts its own requests). Over the limit: 429 in the GraphQL error shape with Retry-After
 * (seconds until the window resets) and the draft-8 RateLimit headers.
 */
export function createRateLimiter(settings: RateLimitSettings, logger: Logger, metrics?: Metrics): RateLimiter {
  if (settings.max === 0) return { middleware: (_req, _res, next) => next(), close: () => undefined };
  const store = new MemoryStore();
  const middleware = rateLimit({
    windowMs: settings.windowMs,
    limit: settings.max,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    store,
    keyGenerator: clientKey,
    handler: (req, res) => {
      metrics?.rateLimited();
      // The body (if any) is left unread: the connection closes rather than drain it.
      sendJsonError(req, res, 429, 'RATE_LIMITED', `Too many requests: at most ${settings.max} every ${Math.ceil(settings.windowMs / 1000)} s per client. Retry after the time Retry-After gives (seconds).`, { close: true });
    },
    // Its checks of forwarding headers would log on requests any client can craft; the key function
    // above reads the socket address on purpose.
    validate: { xForwardedForHeader: false, forwardedHeader: false },
    logger: { error: (_e, msg) => logger.error({ component: 'rate-limit' }, msg ?? 'rate limiter error'), warn: (_e, msg) => logger.warn({ component: 'rate-limit' }, msg ?? 'rate limiter warning') },
  });
  return { middleware, close: () => store.shutdown() };
}
