/**
 * The documented queries, resolved at build time by web/scripts/web-build.js from the docs
 * (src/explorer/documented-queries.ts reads them): there is no file of that name.
 */
declare module 'virtual:documented-queries' {
  export interface DocumentedQuery {
    name: string;
    audience: 'start' | 'dashboard' | 'journalist' | 'integrator' | 'operator';
    title: string;
    source: string;
    query: string;
  }
  const queries: DocumentedQuery[];
  export default queries;
}

/** URLs of the bundled Monaco workers, hashed file names fixed at build time (web-build.js defines them). */
declare const MONACO_WORKER_URLS: { editor: string; json: string; graphql: string };

declare module '*.css';

/** URL of GraphiQL's stylesheet, relative to the page (web-build.js defines it). */
declare const GRAPHIQL_CSS_URL: string;
