import { EntityManager } from '@mikro-orm/postgresql';
import { Sql } from '../db/sql';
import { createProcedureLoaders } from '../procedures/procedure.loader';
import { createProvenanceLoaders } from '../provenance/provenance.loader';
import { createServiceLoaders } from '../services/service.loader';
import { createSourceLoaders } from '../sources/source.loader';
import { createUnitLoaders } from '../units/unit.loader';

/** Every per-request DataLoader; a new set per request keeps caches from leaking between callers. */
export function createLoaders(em: EntityManager, sql: Sql) {
  return {
    ...createUnitLoaders(sql),
    ...createProcedureLoaders(sql),
    ...createServiceLoaders(sql),
    ...createProvenanceLoaders(em),
    ...createSourceLoaders(em),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
