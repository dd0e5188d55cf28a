import { EntityManager } from '@mikro-orm/postgresql';
import { byIdLoader } from '../common/by-id.loader';
import { Procedure } from './procedure.entity';
import { Sector } from './sector.entity';

export function createProcedureLoaders(em: EntityManager) {
  return { procedureById: byIdLoader(em, Procedure), sectorById: byIdLoader(em, Sector) };
}
