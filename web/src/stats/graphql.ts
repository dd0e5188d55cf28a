import { createContext, useContext, useEffect, useState } from 'react';

/**
 * GraphQL over POST to ./graphql (relative: the gateway may sit behind a path prefix), with one
 * cache per page (a context, not module state): going back to a view shows it at once.
 */
export type Variables = Record<string, unknown>;

export interface GqlError {
  message: string;
}

export interface Answer<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

/** The variables as sent: undefined entries dropped, so the export URL carries exactly what ran. */
export function cleanVariables(variables: Variables): Variables {
  return Object.fromEntries(Object.entries(variables).filter(([, v]) => v !== undefined));
}

async function post<T>(query: string, variables: Variables): Promise<T> {
  const res = await fetch(new URL('graphql', document.baseURI), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json().catch(() => ({}))) as { data?: T; errors?: GqlError[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  if (!res.ok || !body.data) throw new Error(`HTTP ${res.status}`);
  return body.data;
}

export type QueryCache = Map<string, Promise<unknown>>;

const cacheKey = (query: string, variables: Variables) => `${query}\n${JSON.stringify(variables)}`;

/** The answer's promise, from the cache or sent now (a failed answer is not kept: the next visit asks again). */
function request<T>(cache: QueryCache | null, key: string, query: string, variables: Variables): Promise<T> {
  let pending = cache?.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = post<T>(query, variables);
    cache?.set(key, pending);
    pending.catch(() => cache?.delete(key));
  }
  return pending;
}

/** Sends a query now, before any component asks for it (the first view's, while React renders). */
export function prefetch(cache: QueryCache, view: { query: string; variables: Variables } | null): void {
  if (view) void request(cache, cacheKey(view.query, view.variables), view.query, view.variables).catch(() => undefined);
}

export const QueryCacheContext = createContext<QueryCache | null>(null);

/**
 * Live refresh (live.ts): `generation` grows with each figuresChanged event, after the cache was
 * emptied; every useGql asks again when it grows. `version` is the data version last announced.
 */
export interface Refresh {
  generation: number;
  version?: string;
  bump(version: string): void;
}
export const RefreshContext = createContext<Refresh>({ generation: 0, bump: () => undefined });

/** Runs `query` (skipped while `variables` is null) and re-runs it when the query or variables change. */
export function useGql<T>(query: string, variables: Variables | null): Answer<T> {
  const cache = useContext(QueryCacheContext);
  const { generation } = useContext(RefreshContext);
  const key = variables ? cacheKey(query, variables) : null;
  const [answer, setAnswer] = useState<Answer<T> & { key: string | null }>({ loading: key !== null, key });
  useEffect(() => {
    if (key === null || !variables) return;
    let live = true;
    const pending = request<T>(cache, key, query, variables);
    setAnswer((a) => (a.key === key && a.data ? a : { loading: true, key }));
    pending.then(
      (data) => live && setAnswer({ data, loading: false, key }),
      (e: unknown) => live && setAnswer({ error: e instanceof Error ? e.message : String(e), loading: false, key }),
    );
    return () => {
      live = false;
    };
    // `key` stands for query and variables; a new generation asks again (the cache was emptied).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, generation]);
  // An answer to other variables is not shown as this one's.
  if (answer.key !== key) return { loading: key !== null };
  return answer;
}

/** `export.csv?query=…&variables=…` (or .json): the view's exact query, as a file. */
export function exportHref(format: 'csv' | 'json', query: string, variables: Variables): string {
  return `export.${format}?${new URLSearchParams({ query, variables: JSON.stringify(variables) }).toString()}`;
}

/** GraphiQL opened on the view's exact query and variables. */
export function graphiqlHref(query: string, variables: Variables): string {
  return `graphiql?${new URLSearchParams({ query, variables: JSON.stringify(variables, null, 2) }).toString()}`;
}

/** The same export as a curl command, for scripts. */
export function curlCommand(query: string, variables: Variables): string {
  const url = new URL(exportHref('csv', query, variables), document.baseURI).toString();
  return `curl -o export.csv '${url.replace(/'/g, "'\\''")}'`;
}
