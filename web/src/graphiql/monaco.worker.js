/*
 * Monaco's three workers (its editor worker, the JSON language service for the variables and
 * headers editors, monaco-graphql's GraphQL language service) as one module worker: the page
 * starts it once per language, named by its label (monaco-workers.ts), and only that label's
 * module is imported. An entry of the app's own build (web-build.js): the code it shares with the
 * page (Monaco's base, graphql-js, the GraphQL language service) comes from the page's chunks,
 * already fetched. Plain JavaScript: these are monaco's own module paths, without types.
 *
 * Each module sets the worker's `onmessage` when it runs, and the page posts its first messages
 * as soon as the worker exists: while the label's chunks load, a message would find no handler
 * and be lost (the page would wait for its answer for ever). They are kept until the module has
 * run, then handed to whatever handler it set (the first one replaces itself on initialising).
 */
const early = [];
globalThis.onmessage = (e) => early.push(e);
const label = globalThis.name;
if (label === 'json') await import('monaco-editor/esm/vs/language/json/json.worker.js');
else if (label === 'graphql') await import('monaco-graphql/esm/graphql.worker.js');
else await import('monaco-editor/esm/vs/editor/editor.worker.js');
for (const e of early) globalThis.onmessage(e);
