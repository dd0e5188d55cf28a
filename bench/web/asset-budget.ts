import fs from 'node:fs';
import path from 'node:path';

/**
 * What the explorer weighs, gzipped, as the gateway serves it (src/explorer/explorer.router.ts):
 * index.html and every file under assets/, each counted by its .gz (the build's gzip -9, what a
 * browser that accepts gzip receives) or, for a file without one, its own size. Files of dist/web
 * the gateway does not serve (documented-queries.json, asset-sizes.json) are not counted.
 */
export const BUDGET_BYTES = 1_000_000;

export interface ServedFile {
  /** Path relative to dist/web, as in the page's URLs ("assets/chunk-X.js"). */
  file: string;
  bytes: number;
  gzipBytes: number;
}

/** Every file the gateway serves from the built explorer, with its raw and gzipped size. */
export function servedFiles(dir: string): ServedFile[] {
  if (!fs.existsSync(path.join(dir, 'index.html'))) throw new Error(`${dir} has no index.html: build the explorer first (npm run build)`);
  const assets = fs.readdirSync(path.join(dir, 'assets')).map((f) => `assets/${f}`);
  // graphiql.html: the same page at /graphiql, preloading GraphiQL's chunks (web-build.js).
  const pages = ['index.html', 'graphiql.html'].filter((f) => fs.existsSync(path.join(dir, f)));
  return [...pages, ...assets]
    .filter((f) => !f.endsWith('.gz'))
    .map((file) => {
      const bytes = fs.statSync(path.join(dir, file)).size;
      const gz = path.join(dir, `${file}.gz`);
      return { file, bytes, gzipBytes: fs.existsSync(gz) ? fs.statSync(gz).size : bytes };
    });
}

/** Total gzipped bytes of the files whose URLs a page loaded (matched by their path in dist/web). */
export function weightOf(files: ServedFile[], urls: Iterable<string>): { gzipBytes: number; count: number } {
  const byFile = new Map(files.map((f) => [f.file, f]));
  const seen = new Set<string>();
  for (const url of urls) {
    const p = new URL(url).pathname.replace(/^\/+/, '');
    const file = p === '' ? 'index.html' : p === 'graphiql' ? (byFile.has('graphiql.html') ? 'graphiql.html' : 'index.html') : p;
    if (byFile.has(file)) seen.add(file);
  }
  let gzipBytes = 0;
  for (const f of seen) gzipBytes += byFile.get(f)!.gzipBytes;
  return { gzipBytes, count: seen.size };
}

export const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
