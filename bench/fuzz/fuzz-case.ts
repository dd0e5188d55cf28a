import { Rng } from '../../src/simulator/prng';
import { RawRequest } from './raw-http.client';

/** One bad request of the fuzz bench: the class it belongs to, a short name, and the bytes to send. */
export interface FuzzCase {
  /** Family, for the report: body, header, query, variables, ingest, cursor, federation, protocol. */
  family: string;
  /** What is wrong with it, e.g. "truncated JSON". */
  name: string;
  request: RawRequest;
  /** End our side after writing (the server sees the body stop short of Content-Length). */
  halfClose?: boolean;
}

/** What generators may use: a seeded generator and API keys for write cases. */
export interface FuzzContext {
  rng: Rng;
  /** A key for province 80 (and everything below it). */
  provinceKey: string;
  /** A key for the nation and the catalogue. */
  nationalKey: string;
}

export type FuzzGenerator = (ctx: FuzzContext) => FuzzCase[];

export const JSON_HEADERS: [string, string][] = [['Content-Type', 'application/json'], ['Accept', 'application/json']];

/** A POST /graphql with a JSON body (already serialised, or an object to serialise). */
export function post(family: string, name: string, body: unknown, headers: [string, string][] = JSON_HEADERS): FuzzCase {
  return { family, name, request: { method: 'POST', path: '/graphql', headers, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) } };
}

/** A GraphQL operation as JSON POST. */
export function op(family: string, name: string, query: string, variables?: unknown, headers: [string, string][] = JSON_HEADERS): FuzzCase {
  return post(family, name, { query, variables }, headers);
}

export const bearer = (key: string): [string, string][] => [...JSON_HEADERS, ['Authorization', `Bearer ${key}`]];

/** Random printable-or-not characters, including NUL, controls, surrogate halves and non-BMP. */
export function junkString(rng: Rng, length: number): string {
  const pools = [
    () => String.fromCharCode(rng.int(32)),
    () => String.fromCharCode(32 + rng.int(95)),
    () => String.fromCharCode(0xd800 + rng.int(0x800)),
    () => String.fromCodePoint(0x1f600 + rng.int(80)),
    () => rng.pick(['\u0000', '\u202e', '\ufeff', '\u2028', "'", '"', '\\', '%', '_', ';--', '$1', '${', '{{']),
    () => String.fromCharCode(0xc0 + rng.int(0x1b0)),
  ];
  let s = '';
  for (let i = 0; i < length; i++) s += rng.pick(pools)();
  return s;
}

export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}
