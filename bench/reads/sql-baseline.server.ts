import http from 'node:http';
import { AddressInfo } from 'node:net';
import { Pool } from 'pg';
import { validOnSql } from '../../src/units/unit-validity';

/**
 * The hand-written baseline of `npm run bench:reads`: the same reads as SQL through `pg`
 * directly, behind the smallest HTTP server that answers them (node:http, one statement per
 * request, JSON.stringify), in its own process on loopback. Its answers are the gateway's JSON
 * byte for byte (the bench checks), so the comparison is the gateway's cost of being a GraphQL
 * server over the same data, not a different answer.
 *
 * Why an HTTP server rather than raw queries/s: both gateways pay for HTTP, request parsing and
 * JSON; a loop of `pool.query` would pay none of it and flatter the baseline.
 *
 *   DATABASE_URL=postgres://… PORT=0 node dist/bench/reads/sql-baseline.server.js
 *
 * Prints `{"port":N}` once listening. Requests: POST {"shape": name, "variables": {...}}.
 */
type Variables = Record<string, string | null | undefined>;
type Answer = (pool: Pool, v: Variables) => Promise<unknown>;

const DAY = (column: string) => `to_char(${column}, 'YYYY-MM-DD')`;
/** GraphQL enum names of the database's enum values (unit_kind, procedure_tier, level_taxonomy). */
const enumName = (value: string) => value.replace(/(\d+)$/, '_$1').toUpperCase();
/** MikroORM's cursor encoding (Cursor.encode): base64url of the JSON array of the ordering keys. */
const encodeCursor = (keys: unknown[]) => Buffer.from(JSON.stringify(keys)).toString('base64url');
const decodeCursor = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, number];

const UNIT_BY_CODE_SQL = `
  SELECT u.id, u.code, unit_name_at(u.id, $2::date) AS name, u.kind, ${DAY('u.valid_from')} AS valid_from, ${DAY('u.valid_to')} AS valid_to,
         p.code AS parent_code, unit_name_at(p.id, $2::date) AS parent_name
  FROM unit u LEFT JOIN unit p ON p.id = u.parent_id
  WHERE u.code = $1 AND ${validOnSql('$2::date', 'u')}
  LIMIT 1`;

async function unitByCode(pool: Pool, v: Variables): Promise<unknown> {
  const { rows: [u] } = await pool.query(UNIT_BY_CODE_SQL, [v.code, v.at]);
  if (!u) return { unit: null };
  return {
    unit: {
      id: String(u.id), code: u.code, name: u.name, kind: enumName(u.kind), validFrom: u.valid_from, validTo: u.valid_to,
      parent: u.parent_code === null ? null : { code: u.parent_code, name: u.parent_name },
    },
  };
}

const PROCEDURE_BY_CODE_SQL = `
  SELECT p.id, p.code, p.name, p.tier, p.essential, p.eligible_full_online, s.code AS sector_code, s.name AS sector_name
  FROM procedure p JOIN sector s ON s.id = p.sector_id
  WHERE p.code = $1`;

async function procedureByCode(pool: Pool, v: Variables): Promise<unknown> {
  const { rows } = await pool.query(PROCEDURE_BY_CODE_SQL, [v.code]);
  return {
    procedures: {
      nodes: rows.map((p) => ({
        id: String(p.id), code: p.code, name: p.name, tier: enumName(p.tier), essential: p.essential,
        eligibleFullOnline: p.eligible_full_online, sector: { code: p.sector_code, name: p.sector_name },
      })),
    },
  };
}

const UNITS_PAGE_SQL = `
  SELECT u.id, u.code, unit_name_at(u.id, $1::date) AS name, u.kind, ${DAY('u.valid_from')} AS valid_from, ${DAY('u.valid_to')} AS valid_to
  FROM unit u
  WHERE u.kind = 'commune' AND ${validOnSql('$1::date', 'u')} AND ($2::text IS NULL OR (u.code, u.id) > ($2::text, $3::int))
  ORDER BY u.code, u.id
  LIMIT $4`;

async function unitsPage(pool: Pool, v: Variables): Promise<unknown> {
  const first = 50;
  const [code, id] = v.after ? decodeCursor(v.after) : [null, null];
  const { rows } = await pool.query(UNITS_PAGE_SQL, [v.at, code, id, first + 1]);
  const page = rows.slice(0, first);
  const last = page.at(-1);
  return {
    units: {
      pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor([last.code, last.id]) : null },
      nodes: page.map((u) => ({ id: String(u.id), code: u.code, name: u.name, kind: enumName(u.kind), validFrom: u.valid_from, validTo: u.valid_to })),
    },
  };
}

const SERVICES_OF_UNIT_SQL = `
  SELECT s.id, p.code, p.name, l.taxonomy, l.level, ${DAY('l.valid_from')} AS valid_from, l.integrated_national
  FROM unit u
  JOIN service s ON s.unit_id = u.id
  JOIN procedure p ON p.id = s.procedure_id
  LEFT JOIN LATERAL (
    SELECT sl.taxonomy, sl.level, sl.valid_from, sl.integrated_national FROM service_level sl
    WHERE sl.service_id = s.id AND sl.valid_from <= $2::date ORDER BY sl.valid_from DESC LIMIT 1
  ) l ON true
  WHERE u.code = $1 AND ${validOnSql('$2::date', 'u')}
  ORDER BY s.id
  LIMIT 100`;

async function servicesOfUnit(pool: Pool, v: Variables): Promise<unknown> {
  const { rows } = await pool.query(SERVICES_OF_UNIT_SQL, [v.code, v.at]);
  return {
    services: {
      nodes: rows.map((s) => ({
        id: String(s.id), procedure: { code: s.code, name: s.name },
        level: s.taxonomy === null ? null : { taxonomy: enumName(s.taxonomy), level: s.level, validFrom: s.valid_from, integratedNational: s.integrated_national },
      })),
    },
  };
}

export const SQL_ANSWERS: Record<string, Answer> = {
  'unit by code': unitByCode,
  'procedure by code': procedureByCode,
  'units page': unitsPage,
  'services of a unit': servicesOfUnit,
};

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

function handler(pool: Pool) {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      const { shape, variables } = JSON.parse(await readBody(req)) as { shape: string; variables: Variables };
      const answer = SQL_ANSWERS[shape];
      if (!answer) throw new Error(`unknown shape ${shape}`);
      const body = JSON.stringify({ data: await answer(pool, variables) });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(e));
    }
  };
}

function main(): void {
  // The gateway's default pool size (DB_POOL_SIZE): the same number of connections to PostgreSQL.
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const server = http.createServer(handler(pool));
  server.keepAliveTimeout = 60_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) main();
