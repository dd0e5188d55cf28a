import express from 'express';
import { Database } from '../db/database';

/**
 * GET /health, the same in every role: 503 while the database is down or start-up is not done
 * (migrations, reference data, the first sync), 200 once ready. The probe runs on its own
 * connection: a busy request pool must not make a healthy database look down.
 */
export function healthRoute(db: Database, isReady: () => boolean): express.RequestHandler {
  return async (_req, res) => {
    // Known to be down (the recovery loop is at work): say so at once, without a connection attempt per probe.
    if (!db.health.up || !(await db.answers())) {
      res.status(503).json({ status: 'unavailable', database: 'down' });
      return;
    }
    const ready = isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ok' : 'starting', database: 'up' });
  };
}
