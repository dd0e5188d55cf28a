/*
 * Monaco's three workers (its editor worker, the JSON language service for the variables and
 * headers editors, monaco-graphql's GraphQL language service) as one classic worker script:
 * the page starts it once per language, named by its label (monaco-workers.ts), and only that
 * label's module runs. Bundled as one file, the three share the editor worker's base (about
 * 80 KiB gzipped) instead of each carrying its own copy. Classic, not an ES module worker: a
 * module worker's imports are requests the test browser's interception (puppeteer) can leave
 * hanging. Plain JavaScript: these are monaco's own module paths, without types.
 *
 * esbuild inlines the dynamic imports (an IIFE build has no chunks); each module sets the worker's
 * `onmessage` when it runs, in a microtask, before the first message is delivered.
 */
const label = globalThis.name;
if (label === 'json') import('monaco-editor/esm/vs/language/json/json.worker.js');
else if (label === 'graphql') import('monaco-graphql/esm/graphql.worker.js');
else import('monaco-editor/esm/vs/editor/editor.worker.js');
