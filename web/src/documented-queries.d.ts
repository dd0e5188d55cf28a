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

declare module '*.css';
