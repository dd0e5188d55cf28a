import { formatTimestamp, parseTimestamp } from './calendar.util';
import { AsciiWriter } from './ascii.writer';
import type { FeedPosition } from './dossier-feed.index';
import { bodyField, jsonResponse, optionalInt, type RouteHandler, type SimResponse } from './http.util';
import { hash3, hashString } from './prng';

/**
 * Provincial one-stop dossier feed (iGate/OpenCPS style): a client-credentials token step, then
 * dossiers ordered by (NgayCapNhat, MaHoSo) with keyset cursors. See docs/simulator.md.
 */

const MAX_SIZE = 5000;
const CURSOR_VERSION = 'v1';

function oauthError(status: number, error: string, description: string): SimResponse {
  return jsonResponse(status, { error, error_description: description });
}

export function igateUnauthorized(): SimResponse {
  return jsonResponse(401, { error: 'invalid_token', error_description: 'missing, invalid or expired access token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
}

function badRequest(message: string): SimResponse {
  return jsonResponse(400, { error: 'bad_request', error_description: message });
}

function notFound(province: string): SimResponse {
  return jsonResponse(404, { error: 'not_found', error_description: `no one-stop system for province ${province}` });
}

/** Opaque cursor: base64url of `v1|<yyyyMMddHHmmss>|<MaHoSo or empty>`. */
export function encodeCursor(pos: FeedPosition): string {
  return Buffer.from(`${CURSOR_VERSION}|${formatTimestamp(pos.t)}|${pos.id ?? ''}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): FeedPosition | null {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts.length !== 3 || parts[0] !== CURSOR_VERSION) return null;
  const t = parseTimestamp(parts[1]);
  if (t === null) return null;
  return { t, id: parts[2] === '' ? null : parts[2] };
}

export const tokenRoute: RouteHandler = (ctx, req, params) => {
  const province = params[0];
  if (!ctx.world.feed.hasProvince(province)) return notFound(province);
  if (req.bodyError) return oauthError(400, 'invalid_request', req.bodyError);
  const clientId = bodyField(req.body, 'client_id');
  const clientSecret = bodyField(req.body, 'client_secret');
  const grant = bodyField(req.body, 'grant_type');
  if (grant !== undefined && grant !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
  if (clientId !== ctx.config.clientId || clientSecret !== ctx.config.clientSecret) {
    return oauthError(401, 'invalid_client', 'client authentication failed');
  }
  // Deterministic tokens (seed, province, serial) keep whole sessions byte-reproducible.
  const serial = ctx.nextTokenSerial++;
  const token = `igt-${province}-${hash3(ctx.world.seed, hashString(province), serial).toString(16).padStart(8, '0')}-${serial}`;
  ctx.tokens.set(token, province);
  return jsonResponse(200, { access_token: token, token_type: 'bearer', expires_in: ctx.config.tokenTtlSeconds, scope: 'dossier.read' });
};

export function igateAuthorized(tokens: Map<string, string>, authorization: string | undefined, province: string): boolean {
  if (!authorization?.startsWith('Bearer ')) return false;
  return tokens.get(authorization.slice(7)) === province;
}

export const dossiersRoute: RouteHandler = (ctx, req, params) => {
  const province = params[0];
  if (!ctx.world.feed.hasProvince(province)) return notFound(province);
  if (!igateAuthorized(ctx.tokens, req.headers.authorization, province)) return igateUnauthorized();
  const q = req.query;

  let from: FeedPosition | null = null;
  const cursor = q.get('cursor');
  if (cursor) {
    from = decodeCursor(cursor);
    if (!from) return badRequest('invalid cursor');
  } else {
    const modifiedFrom = q.get('modifiedFrom');
    const afterId = q.get('afterId');
    if (modifiedFrom) {
      const t = parseTimestamp(modifiedFrom);
      if (t === null) return badRequest('modifiedFrom must be yyyyMMddHHmmss');
      from = { t, id: afterId || null };
    } else if (afterId) {
      return badRequest('afterId needs modifiedFrom');
    }
  }
  let to: number | null = null;
  const modifiedTo = q.get('modifiedTo');
  if (modifiedTo) {
    to = parseTimestamp(modifiedTo);
    if (to === null) return badRequest('modifiedTo must be yyyyMMddHHmmss');
  }
  const page = optionalInt(q.get('page') ?? undefined, 0);
  const size = optionalInt(q.get('size') ?? undefined, 100);
  if (!(page >= 0)) return badRequest('page must be an integer >= 0');
  if (!(size >= 1 && size <= MAX_SIZE)) return badRequest(`size must be an integer 1..${MAX_SIZE}`);

  // Room for the whole page at once (a dossier is about 370 bytes): growing from a fifth of a
  // 5,000-dossier page copied 2.9 MB per 1.9 MB page, 4% of the simulator's CPU in bench:sync.
  const out = new AsciiWriter(size * 420 + 512);
  out.ascii('{"content":[');
  const result = ctx.world.feed.page(province, { from, to, offset: page * size, size }, out);
  const next = result.last ?? from;
  const count = result.count;
  const meta = JSON.stringify({
    page,
    size,
    numberOfElements: count,
    totalElements: result.totalElements,
    totalPages: Math.ceil(result.totalElements / size),
    last: result.offset + count >= result.totalElements,
    nextCursor: next ? encodeCursor(next) : null,
    nextModifiedFrom: next ? formatTimestamp(next.t) : null,
    nextAfterId: next ? next.id : null,
  });
  // The feed writes the dossiers' JSON; the envelope is stitched around it.
  out.ascii('],').utf8(meta.slice(1));
  return {
    ...jsonResponse(200, null),
    body: out.toBuffer(),
    servedDossiers: { count, at: (k: number) => result.served(k) },
  };
};
