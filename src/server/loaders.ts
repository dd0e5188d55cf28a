import { EntityManager } from '@mikro-orm/postgresql';
import { Sql } from '../db/sql';
import { createProcedureLoaders } from '../procedures/procedure.loader';
import { createProvenanceLoaders } from '../provenance/provenance.loader';
import { createServiceLoaders } from '../services/service.loader';
import { createSourceLoaders } from '../sources/source.loader';
import { createUnitLoaders } from '../units/unit.loader';

/**
 * Every per-request DataLoader; a new set per request keeps caches from leaking between callers.
 * `em`: the request's EntityManager, or a function forking it on first use (only the ORM-backed
 * loaders call it).
 *
 * Object.assign rather than object spread: five spreads of these objects cost 170 µs of CPU per
 * request on the shared bench machine (V8 left the fast clone path on the second spread), the
 * same object built by Object.assign 3-4 µs (measured in a loop of 100,000).
 */
export function createLoaders(em: EntityManager | (() => EntityManager), sql: Sql) {
  const forkEm = typeof em === 'function' ? em : () => em;
  // Two calls: Object.assign's typings stop at four sources.
  const procedures = createProcedureLoaders(sql);
  const bySql = Object.assign({}, createUnitLoaders(sql), procedures, createServiceLoaders(sql, procedures));
  return Object.assign(bySql, createProvenanceLoaders(forkEm), createSourceLoaders(forkEm));
}

export type Loaders = ReturnType<typeof createLoaders>;
