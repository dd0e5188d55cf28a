import { ManyToOne, Property, Ref } from '@mikro-orm/core';
import { IngestRun } from './ingest-run.entity';
import { Source } from './source.entity';

/** Provenance carried by every fact row: the source that said it, the run that wrote it, when. */
export abstract class Sourced {
  @ManyToOne(() => Source, { ref: true })
  source!: Ref<Source>;

  @ManyToOne(() => IngestRun, { ref: true })
  run!: Ref<IngestRun>;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
