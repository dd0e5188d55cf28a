import express from 'express';
import { ApiKeyService, Caller, InvalidKeyError } from '../auth/api-key.service';
import { sendJsonError } from './error.middleware';

/**
 * Who is calling, settled before anything else reads the request: the rate limit counts per key
 * (else per address), the body limit allows ingest-sized bodies to key holders only, and an invalid
 * key is refused before its body is read.
 */
export type Identity =
  | { kind: 'anonymous' }
  | { kind: 'key'; caller: Caller }
  | { kind: 'invalid'; reason: string };

const LOCALS_KEY = 'identity';

export function identityOf(res: express.Response): Identity {
  return (res.locals[LOCALS_KEY] as Identity | undefined) ?? { kind: 'anonymous' };
}

export function callerOf(res: express.Response): Caller | undefined {
  const id = identityOf(res);
  return id.kind === 'key' ? id.caller : undefined;
}

/** Reads `Authorization: Bearer <key>` and checks the key (one indexed lookup, none for a malformed key). */
export function identifyCaller(keys: ApiKeyService): express.RequestHandler {
  return async (req, res, next) => {
    try {
      const header = req.headers.authorization;
      let identity: Identity = { kind: 'anonymous' };
      if (header) {
        const m = /^Bearer\s+(\S+)$/i.exec(header);
        try {
          if (!m) throw new InvalidKeyError('expected "Authorization: Bearer <key>"');
          identity = { kind: 'key', caller: await keys.authenticate(m[1]) };
        } catch (e) {
          if (!(e instanceof InvalidKeyError)) throw e;
          identity = { kind: 'invalid', reason: e.message };
        }
      }
      res.locals[LOCALS_KEY] = identity;
      next();
    } catch (e) {
      next(e);
    }
  };
}

/** Refuses a request that presented a key the gateway does not accept: 401, without reading its body. */
export function refuseInvalidKey(): express.RequestHandler {
  return (req, res, next) => {
    const id = identityOf(res);
    if (id.kind !== 'invalid') return next();
    sendJsonError(req, res, 401, 'UNAUTHENTICATED', `Invalid API key: ${id.reason}`, { close: true });
  };
}
