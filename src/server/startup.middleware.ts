import express from 'express';
import { sendJsonError } from './error.middleware';

/**
 * Until start-up is done (migrations, reference data, the first sync), a GraphQL request would be
 * answered from half-loaded tables: `rows: []` with no hint. It gets 503 instead, in words, with
 * Retry-After, like /health.
 */
export function refuseWhileStarting(isReady: () => boolean, retryAfterSeconds = 5): express.RequestHandler {
  return (req, res, next) => {
    if (isReady()) return next();
    sendJsonError(req, res, 503, 'SERVICE_UNAVAILABLE', 'starting: first sync in progress; the gateway answers once its data is loaded (see /health).', {
      headers: { 'retry-after': String(retryAfterSeconds) },
    });
  };
}
