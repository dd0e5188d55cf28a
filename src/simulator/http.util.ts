import type { IncomingHttpHeaders } from 'node:http';
import type { SimulatedWorld } from './world.model';

/**
 * Route handlers are pure functions from a parsed request to a complete response, so the server
 * can apply faults around them (truncate the body, replay an earlier request, delay it).
 */

export interface SimRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** Original URL (path and query). */
  readonly url: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** JSON body, or form fields as an object; undefined when empty or unparseable. */
  readonly body: unknown;
  readonly bodyError: string | null;
}

export interface SimResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Set by the dossier feed so a correction fault can pick a dossier it has just served. */
  readonly servedDossiers?: { readonly count: number; at(k: number): { MaHoSo: string; TrangThaiHoSo: number } };
}

export interface SimulatorConfig {
  /** Bearer token the national portal accepts. */
  readonly dvcqgToken: string;
  /** Client credentials every provincial one-stop system accepts. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** `expires_in` reported with iGate tokens (tokens are honoured until the server closes). */
  readonly tokenTtlSeconds: number;
}

export interface SimContext {
  readonly world: SimulatedWorld;
  readonly config: SimulatorConfig;
  /** iGate access tokens → province code. */
  readonly tokens: Map<string, string>;
  nextTokenSerial: number;
}

export type RouteHandler = (ctx: SimContext, req: SimRequest, params: readonly string[]) => SimResponse;

export function jsonResponse(status: number, value: unknown, extraHeaders: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...extraHeaders },
    body: Buffer.from(JSON.stringify(value), 'utf8'),
  };
}

export function textResponse(status: number, text: string, contentType = 'text/plain; charset=utf-8'): SimResponse {
  return { status, headers: { 'content-type': contentType }, body: Buffer.from(text, 'utf8') };
}

/** Reads a field from a JSON or form body. */
export function bodyField(body: unknown, name: string): unknown {
  if (body !== null && typeof body === 'object' && name in body) return (body as Record<string, unknown>)[name];
  return undefined;
}

/** Parses an optional non-negative integer query/body value; NaN when present but invalid. */
export function optionalInt(value: unknown, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(String(value));
  return Number.isInteger(n) ? n : Number.NaN;
}
