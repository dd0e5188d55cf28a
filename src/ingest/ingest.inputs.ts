import { ArrayMaxSize, IsOptional } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { FilingRow, PlanRow, ProcedureRow, PublishedIndexScoreRow, PublishedIndicatorRow, SectorRow, ServiceLevelRow } from './batch';

/*
 * Row inputs mirror the interchange format (batch.ts) exactly, codes in lower case as in files, so
 * one JSON batch works for both the mutation and `npm run import`. Their rules (counts, dates, levels in a
 * taxonomy, duplicates, references) are checked by the ingest core, the same code that checks
 * files, so that every problem is reported with its row and field, all at once.
 */

@InputType()
export class SectorInput implements SectorRow {
  @Field() code!: string;
  @Field() name!: string;
}

@InputType()
export class ProcedureInput implements ProcedureRow {
  @Field() code!: string;
  @Field() name!: string;
  @Field({ description: 'Sector code.' }) sector!: string;
  @Field({ description: 'central | province | district | commune' }) tier!: string;
  @Field({ nullable: true, defaultValue: true }) eligibleFullOnline?: boolean;
  @Field({ nullable: true, defaultValue: false }) essential?: boolean;
}

@InputType({ description: "A service's online level as reported, in force from a date." })
export class ServiceLevelInput implements ServiceLevelRow {
  @Field({ description: 'Unit code, read on the date `from`.' }) unit!: string;
  @Field({ description: 'Procedure code.' }) procedure!: string;
  @Field({ description: 'decree43 | decree42' }) taxonomy!: string;
  @Field({ description: '"1".."4" (decree43) or "info" | "partial" | "full" (decree42).' }) level!: string;
  @Field({ description: 'YYYY-MM-DD' }) from!: string;
  @Field({ nullable: true }) integratedNational?: boolean;
}

@InputType({ description: 'Dossier counts for a unit, procedure and month.' })
export class FilingInput implements FilingRow {
  @Field({ description: 'Unit code, read on the first day of `month`.' }) unit!: string;
  @Field() procedure!: string;
  @Field({ description: 'YYYY-MM' }) month!: string;
  @Field(() => Int) received!: number;
  @Field(() => Int) receivedOnline!: number;
  @Field(() => Int, { nullable: true }) receivedPostal?: number;
  @Field(() => Int, { nullable: true }) resolvedOnTime?: number;
  @Field(() => Int, { nullable: true }) resolvedLate?: number;
  @Field(() => Int, { nullable: true }) withFee?: number;
  @Field(() => Int, { nullable: true }) paidOnline?: number;
  @Field(() => Int, { nullable: true }) syncedNational?: number;
}

@InputType()
export class PlanInput implements PlanRow {
  @Field({ description: 'Unit code, read on issuedOn (else dueOn, else 1 January of year).' }) unit!: string;
  @Field(() => Int) year!: number;
  @Field({ nullable: true }) documentNumber?: string;
  @Field({ nullable: true }) title?: string;
  @Field({ nullable: true, description: 'YYYY-MM-DD' }) issuedOn?: string;
  @Field({ nullable: true, description: 'YYYY-MM-DD' }) dueOn?: string;
}

@InputType({ description: 'A figure a document published: an indicator of a unit over a period (flows) or on a date (stocks), with the document. docs/index-766.md, "Published versus computed".' })
export class PublishedIndicatorInput implements PublishedIndicatorRow {
  @Field({ description: 'Unit code, read on the first day of `period` (or on `date`).' }) unit!: string;
  @Field({ description: 'online_dossier_rate | on_time_rate | online_payment_rate | services_with_online_filings (a period); level4_share | level34_share | dvcqg_integration (a date).' }) indicator!: string;
  @Field({ nullable: true, description: 'Flow indicators: a month YYYY-MM, a quarter YYYY-Qn or a year YYYY.' }) period?: string;
  @Field({ nullable: true, description: 'Stock indicators: YYYY-MM-DD.' }) date?: string;
  @Field(() => Float, { description: 'The published value as a fraction (0.85 for 85%), at most 6 decimals.' }) value!: number;
  @Field({ description: 'Number of the document that published it (e.g. "123/BC-VPCP").' }) documentNumber!: string;
  @Field({ description: 'YYYY-MM-DD' }) documentDate!: string;
  @Field({ nullable: true }) documentTitle?: string;
  @Field({ nullable: true, description: 'http(s) address of the document.' }) documentUrl?: string;
}

@InputType({ description: 'A Decision 766 score the national portal published: a province\'s or ministry\'s points in one component (a group or the total) for a period, with the portal\'s rank. docs/index-766.md.' })
export class PublishedIndexScoreInput implements PublishedIndexScoreRow {
  @Field({ description: 'Province or ministry code, read on the first day of `period`.' }) unit!: string;
  @Field({ description: 'A month YYYY-MM, a quarter YYYY-Qn or a year YYYY, from June 2022 (the decision) on.' }) period!: string;
  @Field({ description: 'transparency | progress | digitisation | online_services | satisfaction (the groups of data/reference/index-766.json) | total.' }) component!: string;
  @Field(() => Float, { description: 'Points, from 0 to the component\'s maximum (100 for the total), at most 2 decimals.' }) points!: number;
  @Field(() => Int, { nullable: true, description: 'The portal\'s rank of the unit among its tier (1 = highest).' }) rank?: number;
}

const MAX_ROWS = 200_000;

@InputType({ description: 'A batch of facts, written whole or not at all.' })
export class IngestBatchInput {
  @Field(() => [SectorInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ROWS) sectors?: SectorInput[];
  @Field(() => [ProcedureInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ROWS) procedures?: ProcedureInput[];
  @Field(() => [ServiceLevelInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ROWS) services?: ServiceLevelInput[];
  @Field(() => [FilingInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ROWS) filings?: FilingInput[];
  @Field(() => [PlanInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ROWS) plans?: PlanInput[];
  @Field(() => [PublishedIndicatorInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ROWS) publishedIndicators?: PublishedIndicatorInput[];
  @Field(() => [PublishedIndexScoreInput], { nullable: true }) @IsOptional() @ArrayMaxSize(MAX_ROWS) publishedIndexScores?: PublishedIndexScoreInput[];
}
