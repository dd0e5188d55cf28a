import { EntityManager } from '@mikro-orm/postgresql';
import { today } from '../common/calendar';
import { Unit } from './unit.entity';
import { validOnFilter } from './unit-validity';

/**
 * Units through MikroORM, for callers that hold only an EntityManager (the plans' unitCode
 * filter). GraphQL reads of units go through UnitReadService and the request's loaders instead:
 * plain SQL, no entity hydration (unit-row.mapper.ts says why).
 */
export class UnitService {
  constructor(private readonly em: EntityManager) {}

  /** The unit holding `code` on `date`: codes are reused across the 2025 merger, so the date matters. */
  async findByCode(code: string, date: string = today()): Promise<Unit | null> {
    return this.em.findOne(Unit, { $and: [{ code }, validOnFilter(date)] });
  }
}
