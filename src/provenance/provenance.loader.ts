import { EntityManager } from '@mikro-orm/postgresql';
import { byIdLoader } from '../common/by-id.loader';
import { IngestRun } from './ingest-run.entity';
import { Source } from './source.entity';

/** `em`: the request's EntityManager, forked on first use. */
export function createProvenanceLoaders(em: () => EntityManager) {
  return { sourceById: byIdLoader(em, Source), runById: byIdLoader(em, IngestRun) };
}
