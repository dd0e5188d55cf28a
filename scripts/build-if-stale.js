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
    const found = newest(path.join(target, name));
    if (found.mtimeMs > best.mtimeMs) best = found;
  }
  return best;
}

/** Why a build is needed, or null when dist/ is up to date. */
function staleness() {
  let stamp;
  try {
    stamp = fs.statSync(STAMP).mtimeMs;
  } catch {
    return 'no previous build';
  }
  for (const input of INPUTS) {
    const found = newest(path.join(ROOT, input));
    if (found.mtimeMs > stamp) return `${path.relative(ROOT, found.file)} changed`;
  }
  return null;
}

function build(reason) {
  const started = new Date();
  process.stderr.write(`build-if-stale: compiling (${reason})\n`);
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) {
    // No stamp after a failed build: the next call tries again.
    fs.rmSync(STAMP, { force: true });
    process.exit(result.status ?? 1);
  }
  fs.mkdirSync(path.dirname(STAMP), { recursive: true });
  fs.writeFileSync(STAMP, `built ${started.toISOString()} (${reason})\n`);
  fs.utimesSync(STAMP, started, started);
}

const reason = process.argv.includes('--force') ? 'asked for' : staleness();
if (reason) build(reason);
