import crypto from 'node:crypto';
import express from 'express';
import { sendJsonError } from '../server/error.middleware';
import { Metrics } from './metrics';

/** Headers a reverse proxy adds: their presence means the request came from further than the loopback peer. */
const FORWARDING = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

const digest = (s: string) => crypto.createHash('sha256').update(s).digest();

/**
 * GET /metrics, Prometheus text. Who may read it:
 * - METRICS_TOKEN set: whoever sends `Authorization: Bearer <token>` (compared in constant time), from anywhere;
 * - unset (the default): loopback peers only, and not through a proxy (a request carrying
 *   Forwarded, X-Forwarded-For or X-Real-IP came from beyond a proxy on this machine).
 * Anyone else gets 403. The figures are not secret, but they tell the operation names other
 * clients use and how busy the gateway is; a public dashboard gives neither away.
 */
export function metricsRoute(metrics: Metrics, token: string | undefined): express.RequestHandler {
  const expected = token ? digest(token) : undefined;
  return async (req, res, next) => {
    try {
      if (!allowed(req, expected)) {
        sendJsonError(req, res, 403, 'FORBIDDEN', expected ? 'Metrics need `Authorization: Bearer <METRICS_TOKEN>`.' : 'Metrics are served to loopback clients only (set METRICS_TOKEN to read them from elsewhere).');
        return;
      }
      const { contentType, body } = await metrics.exposition();
      res.status(200).set({ 'content-type': contentType, 'cache-control': 'no-store' }).send(body);
    } catch (e) {
      next(e);
    }
  };
}

function allowed(req: express.Request, expected: Buffer | undefined): boolean {
  if (expected) {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    return !!m && crypto.timingSafeEqual(digest(m[1]), expected);
  }
  return LOOPBACK.test(req.socket.remoteAddress ?? '') && !FORWARDING.some((h) => req.headers[h] !== undefined);
}
