/**
 * Monaco runs its language services in web workers. GraphiQL 5's own set-ups load them from a CDN
 * (esm.sh) or rely on a bundler's worker syntax (vite's `?worker`, webpack's `new URL`); esbuild
 * has neither, so web-build.js bundles the three as one module worker, an entry of the app's build
 * sharing its chunks (web/src/graphiql/monaco.worker.js), and names its file in index.html's `dvc-monaco-worker` meta element, which this reads: same
 * origin, nothing fetched from elsewhere. Each language gets a worker of its own, named by its
 * label (the script runs that label's service). The URL is relative to the page, so the explorer
 * also works behind a path prefix.
 */
function workerUrl(): URL {
  const file = document.querySelector('meta[name="dvc-monaco-worker"]')?.getAttribute('content');
  if (!file) throw new Error('index.html names no Monaco worker: rebuild the explorer (node web/scripts/web-build.js)');
  return new URL(file, document.baseURI);
}

const url = workerUrl();
(globalThis as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    return new Worker(url, { type: 'module', name: label === 'json' || label === 'graphql' ? label : 'editor' });
  },
};
