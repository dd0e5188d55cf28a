import { Field, Int, ObjectType } from 'type-graphql';
import { IngestRun } from '../provenance/ingest-run.entity';

@ObjectType({ description: 'What a section of a batch changed.' })
export class UpsertSummary {
  @Field(() => Int) inserted!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int, { description: 'Earlier values replaced, kept as revisions.' }) corrected!: number;
  @Field(() => Int, { description: 'Values that lost to a higher-precedence source, kept as revisions.' }) outranked!: number;
}

@ObjectType({ description: 'The outcome of an accepted batch.' })
export class IngestResultType {
  @Field(() => IngestRun) run!: IngestRun;
  @Field(() => Int) rowsRead!: number;
  @Field(() => Int, { description: 'Rows inserted or changed; 0 when the same batch is sent again.' }) rowsWritten!: number;
  @Field(() => Int) sectors!: number;
  @Field(() => Int) procedures!: number;
  @Field(() => UpsertSummary) services!: UpsertSummary;
  @Field(() => UpsertSummary) filings!: UpsertSummary;
  @Field(() => UpsertSummary) plans!: UpsertSummary;
  @Field(() => UpsertSummary, { description: 'Published indicators (figures a document made public).' }) publishedIndicators!: UpsertSummary;
  @Field(() => UpsertSummary, { description: 'Published Decision 766 scores (the national portal\'s).' }) publishedIndexScores!: UpsertSummary;
}
