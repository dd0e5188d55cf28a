#!/usr/bin/env node
'use strict';
/**
 * Compiles the project (tsc -p tsconfig.build.json) only when its inputs changed since the last
 * successful build, so that `npm run import|api-key|sync|…` start in a second instead of paying
 * for a full compile (about 15–20 s on two cores) on every call. Plain JavaScript: it must run
 * before anything is compiled, on a fresh clone too.
 *
 *   node scripts/build-if-stale.js           build when stale, else do nothing
 *   node scripts/build-if-stale.js --force   build anyway (npm run build)
 *   node scripts/build-if-stale.js --web     only the explorer's bundle, when stale (npm test: tsc -p . ran before)
 *
 * Two builds, each with its own inputs and stamp: the server (tsc, dist/.build-stamp) and then the
 * explorer's web bundle (web/scripts/web-build.js, dist/.web-build-stamp), whose inputs are web/,
 * the docs its example queries come from, their extractor and the lockfile. A change to web/ alone
 * rebuilds the bundle only (9 to 25 s measured on 2 cores), a change to src/ alone the server only.
 *
 * Stale means: no stamp (dist/.build-stamp), or a file or folder under the inputs newer than it.
 * Folders count because deleting or renaming a file changes only its folder's mtime; a checkout
 * of another commit writes the files it changes, so it counts too. The stamp gets the time the
 * build *started*, so an edit made while tsc ran is seen by the next call.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['src', 'migrations', 'bench', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
const WEB_STAMP = path.join(ROOT, 'dist', '.web-build-stamp');
const WEB_INPUTS = [
  'web', 'docs/demo.md', 'docs/queries.md', 'src/explorer/documented-queries.ts', 'package.json', 'package-lock.json',
];
/** Removed by hand (or by a tsc outDir clean), the bundle is rebuilt even though no input changed. */
const WEB_OUTPUT = path.join(ROOT, 'dist', 'web', 'index.html');

/** The newest mtime (ms) under `target` and the path that has it; missing inputs count as nothing. */
function newest(target) {
  let best = { mtimeMs: 0, file: '' };
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    return best;
  }
  if (stat.mtimeMs > best.mtimeMs) best = { mtimeMs: stat.mtimeMs, file: target };
  if (!stat.isDirectory()) return best;
  for (const name of fs.readdirSync(target)) {
    // A bench's own install (bench/peers/postgraphile/node_modules: tens of thousands of files) is
    // not an input: walking it cost seconds on every `npm run …`, and its files never reach dist.
    if (name === 'node_modules') continue;
    const found = newest(path.join(target, name));
    if (found.mtimeMs > best.mtimeMs) best = found;
  }
  return best;
}

/** Why a build is needed, or null when its output is up to date. */
function staleness(stampFile, inputs) {
  let stamp;
  try {
    stamp = fs.statSync(stampFile).mtimeMs;
  } catch {
    return 'no previous build';
  }
  for (const input of inputs) {
    const found = newest(path.join(ROOT, input));
    if (found.mtimeMs > stamp) return `${path.relative(ROOT, found.file)} changed`;
  }
  return null;
}

/** Runs one build step; stamps it with the time it started, or removes the stamp when it fails. */
function build(what, stampFile, reason, args) {
  const started = new Date();
  process.stderr.write(`build-if-stale: ${what} (${reason})\n`);
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    // No stamp after a failed build: the next call tries again.
    fs.rmSync(stampFile, { force: true });
    process.exit(result.status ?? 1);
  }
  fs.mkdirSync(path.dirname(stampFile), { recursive: true });
  fs.writeFileSync(stampFile, `built ${started.toISOString()} (${reason})\n`);
  fs.utimesSync(stampFile, started, started);
}

const force = process.argv.includes('--force');
if (!process.argv.includes('--web')) {
  const reason = force ? 'asked for' : staleness(STAMP, INPUTS);
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  if (reason) build('compiling', STAMP, reason, [tsc, '-p', 'tsconfig.build.json']);
}
// After the server: the web build reads the documented queries through the compiled extractor.
const webReason = force ? 'asked for' : fs.existsSync(WEB_OUTPUT) ? staleness(WEB_STAMP, WEB_INPUTS) : 'dist/web missing';
if (webReason) build('bundling the explorer', WEB_STAMP, webReason, [path.join(ROOT, 'web', 'scripts', 'web-build.js')]);
