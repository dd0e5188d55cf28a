#!/usr/bin/env node
'use strict';
/**
 * Builds the explorer (web/) into dist/web/ with esbuild: GraphiQL 5, its explorer plugin and
 * Monaco's workers, all bundled, so that the page fetches nothing but its own origin. Plain
 * JavaScript, run by scripts/build-if-stale.js after tsc (it reads the documented queries through
 * the compiled src/explorer/documented-queries.js).
 *
 *   node web/scripts/web-build.js
 *
 * Output: index.html and graphiql.html (no-cache), assets/*-[hash].* (cached for a year), each with a .gz beside it
 * (gzip -9, served as is: nothing is compressed per request), documented-queries.json, and
 * asset-sizes.json (what npm run bench:web prints).
 */
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..');
const WEB = path.join(ROOT, 'web');
const OUT = path.join(ROOT, 'dist', 'web');
const ASSETS = 'assets';
/** Files worth compressing; fonts inside the CSS are data URLs already. */
const COMPRESSIBLE = /\.(js|css|html|json|txt|svg|map|ttf)$/;

/** The documented queries, read by the compiled server module (one extractor for the build and the tests). */
function documentedQueries() {
  const compiled = path.join(ROOT, 'dist', 'src', 'explorer', 'documented-queries.js');
  if (!fs.existsSync(compiled)) throw new Error(`${path.relative(ROOT, compiled)} is missing: compile the server first (tsc -p tsconfig.build.json)`);
  const queries = require(compiled).readDocumentedQueries(ROOT);
  if (queries.length === 0) throw new Error('no named query found in the docs: the explorer would open empty');
  return queries;
}

/** `import queries from 'virtual:documented-queries'` resolves to the queries as JSON. */
function documentedQueriesPlugin(queries) {
  return {
    name: 'documented-queries',
    setup(build) {
      build.onResolve({ filter: /^virtual:documented-queries$/ }, (args) => ({ path: args.path, namespace: 'documented-queries' }));
      build.onLoad({ filter: /.*/, namespace: 'documented-queries' }, () => ({ contents: JSON.stringify(queries), loader: 'json' }));
    },
  };
}

const COMMON = {
  bundle: true,
  minify: true,
  target: ['es2022'],
  // Licence comments go to a .LEGAL.txt file beside each output (MIT notices kept, bytes saved).
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"' },
};

/** A file inside an installed package, whatever its `exports` allow. */
function packageFile(pkg, file) {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`, { paths: [ROOT] })), file);
}

/**
 * GraphiQL's stylesheet, a file of its own that its page links when it loads. graphiql/style.css
 * (the documented one) is its parts plus the Roboto and Fira Code fonts inlined as base64: 636 KB,
 * 361 KB gzipped, since fonts do not compress. The parts alone, in that file's order, are 272 KB
 * (80 KB gzipped); the page uses the system's fonts instead (graphiql.page.css). Monaco's icon font
 * stays, inside index.css (its icons need it).
 */
async function buildGraphiqlCss(esbuild, iconCodePoints) {
  const sheets = [
    packageFile('graphiql', 'dist/index.css'), // Monaco's rules and icon font
    packageFile('@graphiql/react', 'dist/style.css'),
    packageFile('@graphiql/plugin-doc-explorer', 'dist/style.css'),
    packageFile('@graphiql/plugin-history', 'dist/style.css'),
    packageFile('graphiql', 'dist/graphiql.css'),
    packageFile('@graphiql/plugin-explorer', 'dist/style.css'),
    path.join(WEB, 'src', 'graphiql', 'graphiql.page.css'),
  ];
  await esbuild.build({
    ...COMMON,
    stdin: { contents: sheets.map((s) => `@import ${JSON.stringify(s)};`).join('\n'), loader: 'css', resolveDir: WEB },
    outfile: path.join(OUT, ASSETS, 'graphiql.css'),
    // Relative to the outfile's folder, assets/ itself.
    assetNames: '[name]-[hash]',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
  });
  const built = path.join(OUT, ASSETS, 'graphiql.css');
  const css = subsetIconFont(fs.readFileSync(built, 'utf8'), iconCodePoints);
  fs.rmSync(built);
  const hashed = path.join(OUT, ASSETS, `graphiql-${contentHash(Buffer.from(css))}.css`);
  fs.writeFileSync(hashed, css);
  fs.rmSync(path.join(OUT, ASSETS, 'graphiql.css.LEGAL.txt'), { force: true });
  return path.relative(OUT, hashed).split(path.sep).join('/');
}

/**
 * Monaco's icon font, inlined in the stylesheet as a data URL, with only the icons the bundled
 * editor can show (web/scripts/ttf-subset.js): 57 KiB gzipped for ~570 icons otherwise.
 */
function subsetIconFont(css, codePoints) {
  const fontUrl = /url\(data:font\/ttf;base64,([A-Za-z0-9+/=]+)\)/g;
  const fonts = [...css.matchAll(fontUrl)];
  if (fonts.length !== 1) throw new Error(`expected Monaco's icon font once in GraphiQL's stylesheet, found ${fonts.length}`);
  const { keepGlyphs } = require('./ttf-subset');
  const { font } = keepGlyphs(Buffer.from(fonts[0][1], 'base64'), codePoints);
  return css.replace(fonts[0][0], `url(data:font/ttf;base64,${font.toString('base64')})`);
}

/**
 * The icons the app's code names, as code points: Monaco draws an icon from its codicon registry
 * (base/common/codiconsLibrary.js, `name: register('id', 0xCODE)`), named in the code as a property
 * (`Codicon.symbolField`, kept by the minifier) or by id (`'codicon-close'`, `$(close)`, `'close'`).
 * Over-inclusive on purpose: any match keeps its icon.
 */
function iconCodePoints(appFiles) {
  const library = fs.readFileSync(require.resolve('monaco-editor/esm/vs/base/common/codiconsLibrary.js', { paths: [ROOT] }), 'utf8');
  const icons = [...library.matchAll(/(\w+): register\('([\w-]+)', (0x[0-9a-f]+)\)/g)].map((m) => ({ key: m[1], id: m[2], code: Number(m[3]) }));
  if (icons.length < 100) throw new Error('codiconsLibrary.js changed: no icon registry found');
  // The registry itself, minified (`add:X("add",60000)`), names every icon: left out of the scan.
  const code = appFiles.map((f) => fs.readFileSync(f, 'utf8')).join('\n').replace(/[\w$]+:[\w$]+\("[\w-]+",\d+\)/g, '');
  const used = new Set();
  for (const icon of icons) {
    const byKey = new RegExp(`\\.${icon.key}(?![\\w$])`);
    const byId = new RegExp(`["'\`(-]${icon.id.replace(/-/g, '\\-')}["'\`)]`);
    if (byKey.test(code) || byId.test(code)) used.add(icon.code);
  }
  return used;
}

/** A short content hash for file names (esbuild's [hash] is not available for stdin entries). */
function contentHash(buf) {
  return require('node:crypto').createHash('sha256').update(buf).digest('base64url').slice(0, 10);
}

/**
 * Monaco's ES modules import their own CSS; graphiql's index.css already holds all of it, so those
 * imports resolve to nothing instead of a second copy (130 KB).
 */
const monacoCssPlugin = {
  name: 'monaco-css-in-graphiql-css',
  setup(build) {
    build.onResolve({ filter: /\.css$/ }, (args) => (/[\\/]monaco-editor[\\/]/.test(args.importer) ? { path: args.path, namespace: 'empty-css' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'empty-css' }, () => ({ contents: '', loader: 'css' }));
  },
};

/**
 * monaco-graphql's Monaco entry imports edcore.main.js: every editor contribution of VS Code's
 * editor. web/src/graphiql/monaco-core.js imports the ones GraphiQL uses (it says which).
 */
const monacoCorePlugin = {
  name: 'monaco-core',
  setup(build) {
    build.onResolve({ filter: /edcore\.main\.js$/ }, (args) => (/[\\/]monaco-(editor|graphql)[\\/]/.test(args.importer) ? { path: path.join(WEB, 'src', 'graphiql', 'monaco-core.js') } : undefined));
  },
};

/**
 * GraphiQL formats the variables and headers (JSON with comments) with prettier's babel and estree
 * plugins: 140 KiB gzipped for one button. @graphiql/react's formatJSONC asks `prettier/standalone`
 * to format with those plugins; from that one module, prettier resolves to
 * web/src/graphiql/jsonc-format.ts (jsonc-parser's formatter, already bundled: comments kept, one
 * property a line) and the two plugins to nothing. Prettier still formats the queries (its graphql
 * plugin, imported under two names that are one file).
 */
const prettierPlugin = {
  name: 'prettier-for-graphql-only',
  setup(build) {
    const fromJsonc = (args) => /[\\/]@graphiql[\\/]react[\\/]dist[\\/]utility[\\/]jsonc\.js$/.test(args.importer);
    build.onResolve({ filter: /^prettier\/standalone$/ }, (args) => (fromJsonc(args) ? { path: path.join(WEB, 'src', 'graphiql', 'jsonc-format.ts') } : undefined));
    build.onResolve({ filter: /^prettier\/(plugins\/estree|parser-babel)$/ }, (args) => (fromJsonc(args) ? { path: args.path, namespace: 'no-prettier-plugin' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'no-prettier-plugin' }, () => ({ contents: 'export const printers = {}, parsers = {};', loader: 'js' }));
    build.onResolve({ filter: /^prettier\/parser-graphql$/ }, (args) => build.resolve('prettier/plugins/graphql', { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer }));
  },
};

/**
 * Monaco modules GraphiQL never runs, replaced by empty classes (their importers only name them):
 * the diff editors (monaco.editor.createDiffEditor, never called); the colour and inlay-hint hover
 * parts (contentHoverRendered.js only tests `instanceof` against them; neither contribution is
 * registered, and monaco-graphql offers no colours nor inlay hints); go to definition, which
 * hoverActions.js asks for and does without when absent (monaco-graphql offers no definitions),
 * and with it the references peek view; the quick input (command palette, pickers), which no
 * contribution of this build opens from a key or a click (only "Go to Match...", "Change Tab
 * Display Size" and "Paste As...", commands of the palette left out). About 550 KB unminified.
 */
const notInThisBuild = (name) => `throw new Error('${name} is not in this build (web/scripts/web-build.js)');`;
const MONACO_STUBS = {
  'editor/browser/widget/diffEditor/diffEditorWidget.js': `export class DiffEditorWidget { constructor() { ${notInThisBuild('the diff editor')} } }`,
  'editor/browser/widget/multiDiffEditor/multiDiffEditorWidget.js': `export class MultiDiffEditorWidget { constructor() { ${notInThisBuild('the multi-diff editor')} } }`,
  'editor/contrib/colorPicker/browser/colorHoverParticipant.js': `export class ColorHoverParticipant { constructor() { ${notInThisBuild('the colour hover')} } }`,
  'editor/contrib/inlayHints/browser/inlayHintsHover.js': `export class InlayHintsHover { constructor() { ${notInThisBuild('the inlay hints hover')} } }`,
  'editor/contrib/gotoSymbol/browser/link/goToDefinitionAtPosition.js': 'export class GotoDefinitionAtPositionEditorContribution { static get() { return null; } }',
  // Registered as an eager service: constructed at start-up, refuses when asked to show anything.
  'editor/standalone/browser/quickInput/standaloneQuickInputService.js': `export class StandaloneQuickInputService {
    pick() { ${notInThisBuild('the quick input')} }
    createInputBox() { ${notInThisBuild('the quick input')} }
    createQuickPick() { ${notInThisBuild('the quick input')} }
  }`,
};

const monacoStubPlugin = {
  name: 'monaco-stubs',
  setup(build) {
    build.onLoad({ filter: /[\\/]monaco-editor[\\/]esm[\\/]vs[\\/].*\.js$/ }, (args) => {
      const rel = args.path.split(path.sep).join('/').replace(/^.*\/monaco-editor\/esm\/vs\//, '');
      return rel in MONACO_STUBS ? { contents: MONACO_STUBS[rel], loader: 'js' } : undefined;
    });
  },
};

/**
 * framer-motion (with motion-dom, about 40 KiB gzipped) is in @graphiql/react only to let a tab be
 * dragged into a new order: `framer-motion` resolves to web/src/graphiql/no-framer-motion.tsx, the
 * same component names as plain list elements. Tabs no longer drag to reorder (that module says so).
 */
const noFramerMotionPlugin = {
  name: 'no-framer-motion',
  setup(build) {
    build.onResolve({ filter: /^framer-motion$/ }, () => ({ path: path.join(WEB, 'src', 'graphiql', 'no-framer-motion.tsx') }));
  },
};

/**
 * Libraries GraphiQL's page carries twice or never runs, resolved to small modules of web/src/graphiql:
 * - markdown-it (about 100 KB with its entity tables and linkifier) renders the schema's
 *   descriptions: Monaco's marked, already on the page, does it (markdown.js says how);
 * - picomatch-browser: monaco-graphql matches a file against each schema's globs only when it has
 *   several schemas; GraphiQL gives it one, so the glob is never compiled (single-schema-glob.js);
 * - @headlessui/react (with its virtual list and react-aria pieces, about 30 KiB gzipped) makes the
 *   docs pane's search box: a combobox of the page's own (combobox.tsx);
 * - react-compiler-runtime, installed four times (graphiql and two of its plugins nest their own
 *   copy, the same file): one copy, the top-level one.
 */
const substitutesPlugin = {
  name: 'substitutes',
  setup(build) {
    build.onResolve({ filter: /^markdown-it$/ }, () => ({ path: path.join(WEB, 'src', 'graphiql', 'markdown.js') }));
    build.onResolve({ filter: /^@headlessui\/react$/ }, () => ({ path: path.join(WEB, 'src', 'graphiql', 'combobox.tsx') }));
    build.onResolve({ filter: /^react-compiler-runtime$/ }, () => ({ path: require.resolve('react-compiler-runtime', { paths: [ROOT] }) }));
    build.onResolve({ filter: /^picomatch-browser$/ }, () => ({ path: path.join(WEB, 'src', 'graphiql', 'single-schema-glob.js') }));
  },
};

/** An output file's path relative to dist/web, with forward slashes (a URL relative to the page). */
const relativeToOut = (file) => path.relative(OUT, path.resolve(file)).split(path.sep).join('/');

/**
 * The app: an ES module entry with a chunk per page (GraphiQL and Monaco load only on its route),
 * and Monaco's workers (web/src/graphiql/monaco.worker.js), a second entry of the same build: a
 * module worker, it imports the chunks it shares with the page (Monaco's base, graphql-js, the
 * GraphQL language service), which the page has fetched already, instead of a copy of its own.
 * monaco-graphql's worker would format with prettier, imported on demand: the page's copy, which
 * it never asks for (graphiql.page.tsx turns Monaco's formatting off: GraphiQL prettifies).
 */
async function buildApp(esbuild, queries) {
  const mainEntry = path.join(WEB, 'src', 'main.tsx');
  const workerEntry = path.join(WEB, 'src', 'graphiql', 'monaco.worker.js');
  const result = await esbuild.build({
    ...COMMON,
    entryPoints: { main: mainEntry, 'monaco.worker': workerEntry },
    outdir: OUT,
    entryNames: `${ASSETS}/[name]-[hash]`,
    chunkNames: `${ASSETS}/chunk-[hash]`,
    assetNames: `${ASSETS}/[name]-[hash]`,
    format: 'esm',
    splitting: true,
    jsx: 'automatic',
    loader: { '.ttf': 'file', '.woff': 'file', '.woff2': 'file' },
    define: COMMON.define,
    plugins: [documentedQueriesPlugin(queries), monacoCssPlugin, monacoCorePlugin, prettierPlugin, monacoStubPlugin, noFramerMotionPlugin, substitutesPlugin],
  });
  // What each chunk holds, for whoever trims the bundle next (outside dist/web: not served).
  fs.writeFileSync(path.join(OUT, '..', 'web-metafile.json'), JSON.stringify(result.metafile));
  const outputs = Object.entries(result.metafile.outputs).map(([file, meta]) => ({ file: relativeToOut(file), meta }));
  const built = (entry) => outputs.find((o) => o.meta.entryPoint && path.resolve(o.meta.entryPoint) === path.resolve(entry));
  const entry = built(mainEntry);
  const worker = built(workerEntry);
  if (!entry || !worker) throw new Error('the app entry or the Monaco worker was not built');
  const jsFiles = outputs.filter((o) => o.file.endsWith('.js')).map((o) => path.join(OUT, o.file));
  const preloads = (pageFile) => {
    const page = built(path.join(WEB, 'src', pageFile));
    if (!page) throw new Error(`the page ${pageFile} was not built`);
    return [...new Set([...staticImports(result.metafile, path.join(OUT, entry.file)), ...staticImports(result.metafile, path.join(OUT, page.file))])]
      .filter((file) => file !== entry.file);
  };
  return {
    js: entry.file, css: entry.meta.cssBundle ? relativeToOut(entry.meta.cssBundle) : undefined, worker: worker.file, jsFiles,
    preloads: { stats: preloads('stats/stats.page.tsx'), graphiql: preloads('graphiql/graphiql.page.tsx') },
  };
}

/** An output and every chunk it imports statically, transitively (what runs before its code does), relative to dist/web. */
function staticImports(metafile, file) {
  const key = (f) => path.relative(ROOT, path.resolve(f)).split(path.sep).join('/');
  const seen = new Set();
  const pending = [key(file)];
  while (pending.length > 0) {
    const next = pending.pop();
    if (seen.has(next)) continue;
    seen.add(next);
    for (const i of metafile.outputs[next].imports) if (i.kind === 'import-statement') pending.push(i.path);
  }
  return [...seen].map(relativeToOut);
}

/**
 * index.html (`/`, the statistics page) and graphiql.html (`/graphiql`): the same page, with the
 * hashed entry (and its CSS) written in, the worker's URL in a meta element
 * (web/src/graphiql/monaco-workers.ts reads it: the page, never cached, always names the current
 * file), and `<link rel="modulepreload">` for the chunks of that path's page: the browser fetches
 * them with the entry, instead of after the entry has run and asked for its page. Relative URLs,
 * so a path prefix works.
 */
function writeIndex(app, workerUrl, graphiqlCss) {
  const template = fs.readFileSync(path.join(WEB, 'index.html'), 'utf8');
  const html = (preloads) => template
    .replace('<!--styles-->', app.css ? `<link rel="stylesheet" href="${app.css}">` : '')
    .replace('<!--worker-->', `<meta name="dvc-monaco-worker" content="${workerUrl}">\n  <meta name="dvc-graphiql-css" content="${graphiqlCss}">`)
    .replace('<!--preloads-->', preloads.map((file) => `<link rel="modulepreload" href="${file}">`).join('\n  '))
    .replace('<!--scripts-->', `<script type="module" src="${app.js}"></script>`);
  fs.writeFileSync(path.join(OUT, 'index.html'), html(app.preloads.stats));
  fs.writeFileSync(path.join(OUT, 'graphiql.html'), html(app.preloads.graphiql));
}

/** Every file under dir, relative to it. */
function filesUnder(dir, base = dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full, base) : [path.relative(base, full).split(path.sep).join('/')];
  });
}

/** Writes file.gz beside every compressible file and returns each file's raw and gzipped size. */
function precompress() {
  const sizes = {};
  for (const file of filesUnder(OUT)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const raw = fs.readFileSync(path.join(OUT, file));
    const gz = zlib.gzipSync(raw, { level: 9 });
    fs.writeFileSync(path.join(OUT, `${file}.gz`), gz);
    sizes[file] = { bytes: raw.length, gzipBytes: gz.length };
  }
  return sizes;
}

/** The web app's own type check (esbuild strips types without reading them). */
function typeCheck() {
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(WEB, 'tsconfig.json')], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('web/ does not type-check');
}

async function main() {
  const started = Date.now();
  typeCheck();
  const esbuild = require('esbuild');
  const queries = documentedQueries();
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const app = await buildApp(esbuild, queries);
  const worker = app.worker;
  const graphiqlCss = await buildGraphiqlCss(esbuild, iconCodePoints(app.jsFiles));
  writeIndex(app, worker, graphiqlCss);
  fs.writeFileSync(path.join(OUT, 'documented-queries.json'), JSON.stringify(queries, null, 1));
  const sizes = precompress();
  fs.writeFileSync(path.join(OUT, 'asset-sizes.json'), JSON.stringify({ entry: { js: app.js, css: app.css }, worker, graphiqlCss, files: sizes }, null, 1));
  const gzip = Object.values(sizes).reduce((s, f) => s + f.gzipBytes, 0);
  process.stderr.write(`web-build: dist/web built in ${((Date.now() - started) / 1000).toFixed(1)} s, ${queries.length} documented queries, ${(gzip / 1024).toFixed(0)} KiB gzipped in all\n`);
}

module.exports = { main };
if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`web-build: ${e && e.message ? e.message : e}\n`);
    process.exit(1);
  });
}
