import express from 'express';
import http from 'node:http';

/**
 * POST /graphql through its handlers in a straight line, without Express's router. The router
 * walks its stack for every request: each layer's path is matched, the URL trimmed and restored
 * around a mounted path, a `next` closure made per layer, and the app-level layers that never
 * answer a POST to /graphql (the explorer, the exports) are visited on the way. A CPU profile of
 * unit lookups through the compiled reads' lane put the router's `next`, `handle`, `trimPrefix`
 * and parseurl at about a tenth of what was left of the gateway's time (bench:reads, unit by code).
 *
 * The handlers are the very ones the app mounts on /graphql (app.ts builds the list once), in the
 * same order, behind the same first handler (the observer) and ending with the same error and
 * not-found handlers: only the walk is different. Express's per-request set-up is done as its
 * app.handle does it (express/lib/application.js): the request and response get the app's
 * prototypes (req.ip, res.status, res.send...), refer to each other, and get res.locals. A handler
 * returning a rejected promise passes its error on, as Express 5's router does.
 *
 * Only an exact `POST /graphql` takes this path: a GET may be a browser sent on to the explorer
 * (explorer.router.ts), and other spellings (`/graphql/`, another case, a query string) go through
 * Express as before, to the same handlers.
 */
export function straightChain(
  app: express.Express,
  handlers: readonly express.RequestHandler[],
  onError: express.ErrorRequestHandler,
  notFound: express.RequestHandler,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (incoming, outgoing) => {
    const req = incoming as express.Request;
    const res = outgoing as express.Response;
    req.res = res;
    res.req = req;
    Object.setPrototypeOf(req, app.request);
    Object.setPrototypeOf(res, app.response);
    if (!res.locals) res.locals = Object.create(null) as express.Response['locals'];
    req.originalUrl ??= req.url;
    // After the error handler: nothing is left to answer with (Express's finalhandler would end the response).
    const last = () => {
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    };
    let i = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        run(() => onError(err, req, res, last), last);
        return;
      }
      // The handlers, then not-found (Express's app.use(notFound) after the /graphql mount), then nothing.
      const handler = i < handlers.length ? handlers[i] : i === handlers.length ? notFound : undefined;
      i += 1;
      if (!handler) return last();
      run(() => handler(req, res, next), next);
    };
    next();
  };
}

/** Calls a handler; a throw or a rejected promise goes to `fail` (Express 5's router: handle_request). */
function run(call: () => unknown, fail: (err: unknown) => void): void {
  try {
    const ret = call();
    if (ret instanceof Promise) ret.then(undefined, (e: unknown) => fail(e ?? new Error('Rejected promise')));
  } catch (e) {
    fail(e);
  }
}
