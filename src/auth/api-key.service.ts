import crypto from 'node:crypto';
import { Sql } from '../db/sql';

/** The integrator a request acts for. */
export interface Caller {
  keyId: number;
  name: string;
  /** Unit codes it may write, with everything below them; '*' is the whole nation. */
  unitCodes: string[];
  catalogue: boolean;
  sourceId: number;
  sourceCode: string;
}

export class InvalidKeyError extends Error {}

const KEY_FORMAT = /^dvc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
const hash = (secret: string) => crypto.createHash('sha256').update(secret).digest('hex');

export interface NewKey {
  name: string;
  unitCodes: string[];
  catalogue?: boolean;
  /** Source the key's pushes are recorded under (default push:<name>). */
  sourceCode?: string;
}

export class ApiKeyService {
  constructor(private readonly sql: Sql) {}

  /** Creates a key and returns it in clear: the only time it is seen; only its hash is stored. */
  async create(input: NewKey): Promise<{ key: string; id: number }> {
    if (!/^[a-z0-9][a-z0-9._-]{1,62}$/.test(input.name)) throw new InvalidKeyError('name: lower-case letters, digits, ".", "_" or "-", 2 to 63 characters');
    if (input.unitCodes.length === 0) throw new InvalidKeyError('scope: at least one unit code (or * for the nation)');
    const unknown = await this.unknownCodes(input.unitCodes.filter((c) => c !== '*'));
    if (unknown.length > 0) throw new InvalidKeyError(`scope: unknown unit code(s) ${unknown.join(', ')}`);
    const prefix = crypto.randomBytes(6).toString('hex');
    const secret = crypto.randomBytes(32).toString('base64url');
    const sourceCode = input.sourceCode ?? `push:${input.name}`;
    return this.sql.transaction(async (tx) => {
      const [source] = await tx.query<{ id: number }>(
        `INSERT INTO source (code, name, kind, precedence) VALUES ($1, $2, 'push', 100)
         ON CONFLICT (code) DO UPDATE SET code = excluded.code RETURNING id`,
        [sourceCode, `Integrator push (${input.name})`],
      );
      const [row] = await tx.query<{ id: number }>(
        `INSERT INTO api_key (name, prefix, secret_hash, unit_codes, catalogue, source_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [input.name, prefix, hash(secret), input.unitCodes, input.catalogue ?? false, source.id],
      ).catch((e: { code?: string }) => {
        if (e.code === '23505') throw new InvalidKeyError(`name: a key named ${input.name} exists`);
        throw e;
      });
      return { key: `dvc_${prefix}_${secret}`, id: row.id };
    });
  }

  async revoke(name: string): Promise<boolean> {
    const rows = await this.sql.query(`UPDATE api_key SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL RETURNING id`, [name]);
    return rows.length > 0;
  }

  async list(): Promise<{ name: string; prefix: string; unit_codes: string[]; catalogue: boolean; created_at: Date; revoked_at: Date | null }[]> {
    return this.sql.query(`SELECT name, prefix, unit_codes, catalogue, created_at, revoked_at FROM api_key ORDER BY name`);
  }

  /** The caller for an `Authorization: Bearer <key>` value; throws InvalidKeyError when it is not a live key. */
  async authenticate(key: string): Promise<Caller> {
    const m = KEY_FORMAT.exec(key);
    if (!m) throw new InvalidKeyError('malformed API key');
    const [row] = await this.sql.query<{ id: number; name: string; secret_hash: string; unit_codes: string[]; catalogue: boolean; source_id: number; source_code: string; revoked_at: Date | null }>(
      `SELECT k.id, k.name, k.secret_hash, k.unit_codes, k.catalogue, k.source_id, s.code AS source_code, k.revoked_at
       FROM api_key k JOIN source s ON s.id = k.source_id WHERE k.prefix = $1`,
      [m[1]],
    );
    const given = Buffer.from(hash(m[2]), 'hex');
    // Compare in constant time even when the prefix is unknown.
    const stored = Buffer.from(row?.secret_hash ?? '0'.repeat(64), 'hex');
    if (!row || !crypto.timingSafeEqual(given, stored) || row.revoked_at) throw new InvalidKeyError('unknown or revoked API key');
    return { keyId: row.id, name: row.name, unitCodes: row.unit_codes, catalogue: row.catalogue, sourceId: row.source_id, sourceCode: row.source_code };
  }

  private async unknownCodes(codes: string[]): Promise<string[]> {
    if (codes.length === 0) return [];
    const rows = await this.sql.query<{ code: string }>(`SELECT DISTINCT code FROM unit WHERE code = ANY($1)`, [codes]);
    const known = new Set(rows.map((r) => r.code));
    return codes.filter((c) => !known.has(c));
  }
}
