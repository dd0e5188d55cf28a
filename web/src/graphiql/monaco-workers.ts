/**
 * Monaco runs its language services in web workers. GraphiQL 5's own set-ups load them from a CDN
 * (esm.sh) or rely on a bundler's worker syntax (vite's `?worker`, webpack's `new URL`); esbuild
 * has neither, so web-build.js bundles the three workers as files of their own and this points
 * Monaco at them: same origin, nothing fetched from elsewhere. Their URLs are relative to the page,
 * so the explorer also works behind a path prefix.
 */
const workerUrl = (file: string) => new URL(file, document.baseURI).toString();

(globalThis as unknown as { MonacoEnvironment: unknown }).MonacoEnvironment = {
  getWorker(_workerId: string, label: string): Worker {
    if (label === 'json') return new Worker(workerUrl(MONACO_WORKER_URLS.json));
    if (label === 'graphql') return new Worker(workerUrl(MONACO_WORKER_URLS.graphql));
    return new Worker(workerUrl(MONACO_WORKER_URLS.editor));
  },
};
