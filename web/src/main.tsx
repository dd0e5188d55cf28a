import { lazy, StrictMode, Suspense, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

// Each page is a chunk of its own: the statistics page does not load GraphiQL and Monaco (about
// 4/5 of the bytes; see npm run bench:web).
const GraphiqlPage = lazy(async () => (await Promise.all([import('./graphiql/graphiql.page'), loadStylesheet(graphiqlStylesheet())]))[0]);

/** GraphiQL's stylesheet, a file of its own that index.html names (web-build.js says why). */
function graphiqlStylesheet(): string {
  const href = document.querySelector('meta[name="dvc-graphiql-css"]')?.getAttribute('content');
  if (!href) throw new Error('index.html names no GraphiQL stylesheet: rebuild the explorer (node web/scripts/web-build.js)');
  return href;
}

/** Links a stylesheet and resolves once it applies (Monaco measures its fonts when it starts). */
function loadStylesheet(href: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    link.onload = () => resolve();
    link.onerror = () => reject(new Error(`stylesheet ${href} did not load`));
    document.head.append(link);
  });
}
const StatsPage = lazy(() => import('./stats/stats.page'));

type Route = 'graphiql' | 'stats';

/**
 * Routes are paths the gateway serves as index.html: `/` the statistics page (journalists arrive
 * there), `/graphiql` GraphiQL. The query string is left to the page: it holds the view's state.
 */
function routeOf(pathname: string): Route {
  return pathname.replace(/\/+$/, '').endsWith('/graphiql') ? 'graphiql' : 'stats';
}

const TITLES: Record<Route, string> = { graphiql: 'GraphiQL · dvc-gateway', stats: 'Thống kê · dvc-gateway' };

function App() {
  const [route, setRoute] = useState<Route>(() => routeOf(location.pathname));
  useEffect(() => {
    const onPop = () => setRoute(routeOf(location.pathname));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  useEffect(() => {
    document.title = TITLES[route];
    document.documentElement.lang = route === 'stats' ? 'vi' : 'en';
  }, [route]);
  return (
    <Suspense fallback={<p role="status">Loading…</p>}>
      {route === 'stats' ? <StatsPage /> : <GraphiqlPage />}
    </Suspense>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
