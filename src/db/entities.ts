import { ApiKey } from '../auth/api-key.entity';
import { FilingStat } from '../filings/filing-stat.entity';
import { Plan } from '../plans/plan.entity';
import { Target } from '../plans/target.entity';
import { Procedure } from '../procedures/procedure.entity';
import { Sector } from '../procedures/sector.entity';
import { FactRevision } from '../provenance/fact-revision.entity';
import { IngestRun } from '../provenance/ingest-run.entity';
import { Source } from '../provenance/source.entity';
import { Sourced } from '../provenance/sourced.entity';
import { ServiceLevel } from '../services/service-level.entity';
import { Service } from '../services/service.entity';
import { UnitLineage } from '../units/unit-lineage.entity';
import { Unit } from '../units/unit.entity';

export const entities = [
  Sourced, Unit, UnitLineage, Source, IngestRun, FactRevision, Sector, Procedure, Service, ServiceLevel,
  FilingStat, Plan, Target, ApiKey,
];
