import { EntityManager } from '@mikro-orm/postgresql';
import { createProcedureLoaders } from '../procedures/procedure.loader';
import { createProvenanceLoaders } from '../provenance/provenance.loader';
import { createServiceLoaders } from '../services/service.loader';
import { createSourceLoaders } from '../sources/source.loader';
import { createUnitLoaders } from '../units/unit.loader';

/** Every per-request DataLoader; a new set per request keeps caches from leaking between callers. */
export function createLoaders(em: EntityManager) {
  return {
    ...createUnitLoaders(em),
    ...createProcedureLoaders(em),
    ...createServiceLoaders(em),
    ...createProvenanceLoaders(em),
    ...createSourceLoaders(em),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
