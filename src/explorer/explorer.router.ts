import express from 'express';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config/project-root';
import { sendJsonError } from '../server/error.middleware';
import { getParamsOf } from '../server/request-shape.middleware';

/**
 * Serves the explorer that web/scripts/web-build.js bundles into dist/web/ (GraphiQL and the
 * statistics page), at `/` on the gateway's own port:
 *
 * - index.html at `/`, graphiql.html at `/graphiql` (the same page, each preloading its own
 *   chunks), with `Cache-Control: no-cache` (always revalidated: a rebuild is seen at once);
 * - assets/*-[hash].* with a year's `immutable` cache (their names change with their content);
 * - the build's .gz beside each file when the browser accepts gzip (compressed once, at build
 *   time, at level 9: no CPU per request), with `Vary: Accept-Encoding`;
 * - a Content-Security-Policy allowing this origin only: even a bug in a bundled library could not
 *   make the page fetch from elsewhere.
 *
 * Only files the build wrote are served (listed once at start-up): no path from a URL reaches the disk.
 */
export interface ExplorerFiles {
  dir: string;
  /** Relative paths ("index.html", "assets/main-X.js") of the built files. */
  files: Set<string>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml',
};

/**
 * 'unsafe-inline' styles: Monaco and React set style attributes and write <style> elements at run
 * time. Workers come from this origin (web-build.js bundles them); data: carries GraphiQL's icons
 * and Monaco's icon font. connect-src 'self' also admits the statistics page's live updates
 * (ws: or wss: to this same host and port: CSP Level 3's 'self' matches them, and nothing else;
 * test/live/page-refresh.browser.test.ts runs the page under this policy).
 */
const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "font-src 'self' data:",
  "worker-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'",
].join('; ');

const YEAR_SECONDS = 365 * 24 * 3600;

/** The built explorer, or undefined when dist/web has no index.html (the web build did not run). */
export function loadExplorerFiles(dir = path.join(projectRoot(), 'dist', 'web')): ExplorerFiles | undefined {
  if (!fs.existsSync(path.join(dir, 'index.html'))) return undefined;
  const files = new Set<string>();
  const walk = (sub: string) => {
    for (const e of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) walk(rel);
      else files.add(rel);
    }
  };
  walk('');
  return { dir, files };
}

/** Sends one built file, its .gz when the client takes gzip; headers by kind (page or hashed asset). */
function sendBuilt(explorer: ExplorerFiles, file: string, req: express.Request, res: express.Response, next: express.NextFunction): void {
  const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
  const gzipped = explorer.files.has(`${file}.gz`) && req.acceptsEncodings('gzip', 'identity') === 'gzip';
  const headers: Record<string, string> = {
    'content-type': type,
    'x-content-type-options': 'nosniff',
    'cache-control': file.startsWith('assets/') ? `public, max-age=${YEAR_SECONDS}, immutable` : 'no-cache',
  };
  if (explorer.files.has(`${file}.gz`)) headers.vary = 'Accept-Encoding';
  if (gzipped) headers['content-encoding'] = 'gzip';
  if (file.endsWith('.html')) {
    headers['content-security-policy'] = CSP;
    headers['referrer-policy'] = 'no-referrer';
  }
  // sendFile keeps a Content-Type already set (else .gz would be application/gzip) and answers
  // conditional requests (ETag, Last-Modified) with 304.
  res.sendFile(gzipped ? `${file}.gz` : file, { root: explorer.dir, headers, dotfiles: 'deny', cacheControl: false }, (err) => {
    if (err) next(err);
  });
}

/**
 * Whether a GET of /graphql comes from a browser navigating there (it prefers HTML to JSON and
 * sends no operation): Apollo would show its Sandbox, loaded from a CDN, with telemetry.
 */
export function isBrowserNavigation(req: express.Request): boolean {
  if (req.method !== 'GET' || getParamsOf(req).has('query')) return false;
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

export interface ExplorerOptions {
  /** LANDING_PAGE: false serves no explorer (404) and sends browsers on /graphql Apollo's JSON 400. */
  enabled: boolean;
  explorer: ExplorerFiles | undefined;
}

/** `/` (statistics), `/graphiql`, `/index.html`, `/assets/*` and the browser's redirect from /graphql to /graphiql. */
export function explorerRouter(opts: ExplorerOptions): express.Router {
  const router = express.Router();
  const { explorer } = opts;
  if (!opts.enabled) return router;
  const notBuilt: express.RequestHandler = (req, res) => sendJsonError(req, res, 503, 'EXPLORER_NOT_BUILT', 'The explorer is not built: run `npm run build` (or `npm start`, which builds what changed).');
  // `use`, not `get`: a GET route would make express answer OPTIONS /graphql itself (200), before
  // the /graphql guards that answer 405 for methods other than GET and POST.
  router.use('/graphql', (req, res, next) => {
    if (req.method !== 'GET' || !explorer || !isBrowserNavigation(req)) return next();
    // Relative, so that a gateway behind a path prefix sends the browser to its own GraphiQL.
    res.redirect(302, './graphiql');
  });
  // `/` is the statistics page, `/graphiql` GraphiQL: one page, routed in the browser by path;
  // graphiql.html names GraphiQL's chunks for preloading, index.html the statistics page's.
  router.get(['/', '/index.html', '/graphiql'], (req, res, next) => {
    // `/graphiql/` would load the page's relative asset URLs from /graphiql/assets/ (not found):
    // sent to `/graphiql` instead (relative, for a path prefix; the query string kept).
    if (req.path === '/graphiql/') return res.redirect(301, `../graphiql${req.url.slice(req.path.length)}`);
    if (!explorer) return notBuilt(req, res, next);
    const page = req.path === '/graphiql' && explorer.files.has('graphiql.html') ? 'graphiql.html' : 'index.html';
    return sendBuilt(explorer, page, req, res, next);
  });
  router.get('/assets/:file', (req, res, next) => {
    const file = `assets/${String(req.params.file)}`;
    if (!explorer || !explorer.files.has(file) || file.endsWith('.gz')) return next();
    sendBuilt(explorer, file, req, res, next);
  });
  return router;
}
