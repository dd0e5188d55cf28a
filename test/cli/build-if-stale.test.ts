import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run <cli>` used to recompile on every call (an import took 22–43 s, 1.4 s of it the
 * import). scripts/build-if-stale.js builds only what changed; this runs the real script in a
 * throwaway project (its own src/, tsconfig and web build script, the repository's typescript)
 * and reads what it built from its stderr and from dist/.
 */
const REPO = path.join(__dirname, '../..');
let dir: string;

function run(...args: string[]): string {
  const r = spawnSync(process.execPath, [path.join(dir, 'scripts/build-if-stale.js'), ...args], { cwd: dir, encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stderr;
}

/** An edit now, after the last build started (a stamp holds its build's start time). */
function touch(file: string): void {
  const now = new Date();
  fs.utimesSync(path.join(dir, file), now, now);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dvc-build-'));
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(REPO, 'scripts/build-if-stale.js'), path.join(dir, 'scripts/build-if-stale.js'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src/hello.ts'), 'export const hello: string = "xin chào";\n');
  fs.writeFileSync(path.join(dir, 'tsconfig.build.json'), JSON.stringify({ compilerOptions: { outDir: 'dist', strict: true }, include: ['src'] }));
  fs.writeFileSync(path.join(dir, 'package.json'), '{}\n');
  // The bundle step of this throwaway project: writes the page and counts its runs.
  fs.mkdirSync(path.join(dir, 'web/scripts'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'web/scripts/web-build.js'), `const fs = require('fs'), p = require('path');
const out = p.join(__dirname, '../../dist/web'); fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(p.join(out, 'index.html'), '<!doctype html>');
fs.appendFileSync(p.join(out, 'runs'), 'x');\n`);
  fs.mkdirSync(path.join(dir, 'docs'));
  fs.writeFileSync(path.join(dir, 'docs/demo.md'), '# demo\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('builds once, then nothing until an input changes, then only the part that changed', () => {
  const first = run();
  expect(first).toMatch(/compiling/);
  expect(first).toMatch(/bundling the explorer/);
  expect(fs.readFileSync(path.join(dir, 'dist/hello.js'), 'utf8')).toContain('xin chào');
  const compiled = fs.statSync(path.join(dir, 'dist/hello.js')).mtimeMs;

  // Nothing changed: no compiler, no bundler.
  expect(run()).toBe('');
  expect(fs.statSync(path.join(dir, 'dist/hello.js')).mtimeMs).toBe(compiled);
  expect(fs.readFileSync(path.join(dir, 'dist/web/runs'), 'utf8')).toBe('x');

  // A source file: the server is compiled again, the bundle left alone.
  touch('src/hello.ts');
  const afterSource = run();
  expect(afterSource).toMatch(/compiling \(src\/hello.ts changed\)/);
  expect(afterSource).not.toMatch(/bundling/);

  // A documented query (the explorer's examples come from the docs): only the bundle.
  touch('docs/demo.md');
  const afterDocs = run();
  expect(afterDocs).not.toMatch(/compiling/);
  expect(afterDocs).toMatch(/bundling the explorer \(docs\/demo.md changed\)/);
  expect(fs.readFileSync(path.join(dir, 'dist/web/runs'), 'utf8')).toBe('xx');

});
