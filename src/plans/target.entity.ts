import { ArrayType, DecimalType, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { UnitKind } from '../units/unit.entity';

/** The indicators of domain.md section 6, plus plan issuance (section 7). */
export enum Indicator {
  LEVEL4_SHARE = 'level4_share',
  LEVEL34_SHARE = 'level34_share',
  SERVICES_WITH_ONLINE_FILINGS = 'services_with_online_filings',
  ONLINE_DOSSIER_RATE = 'online_dossier_rate',
  ON_TIME_RATE = 'on_time_rate',
  ONLINE_PAYMENT_RATE = 'online_payment_rate',
  DVCQG_INTEGRATION = 'dvcqg_integration',
  PLAN_ISSUED = 'plan_issued',
}
registerEnumType(Indicator, { name: 'Indicator', description: 'KPIs of domain.md section 6 (ratios of sums) and plan issuance.' });

export enum Comparison {
  AT_LEAST = 'at_least',
  AT_MOST = 'at_most',
}
registerEnumType(Comparison, { name: 'Comparison' });

/** A target is data: a new one is a row, not code. */
@ObjectType({ description: 'A target an indicator must meet, with its scope, deadline and legal basis.' })
@Entity({ tableName: 'target' })
export class Target {
  @Field(() => ID)
  @PrimaryKey({ type: 'integer', autoincrement: true })
  id!: number;

  @Field()
  @Property({ type: 'string', length: 64, unique: true })
  code!: string;

  @Field(() => Indicator)
  @Enum({ items: () => Indicator, nativeEnumName: 'indicator' })
  indicator!: Indicator;

  @Field(() => Float, { description: 'Threshold as a fraction: 0.3 means 30%.' })
  @Property({ type: new DecimalType('number'), precision: 7, scale: 4 })
  threshold!: number;

  @Field(() => Comparison)
  @Enum({ items: () => Comparison, nativeEnumName: 'comparison' })
  comparison: Comparison = Comparison.AT_LEAST;

  @Field(() => [UnitKind], { description: 'Kinds of unit the target applies to.' })
  @Property({ type: ArrayType })
  scopeKinds!: UnitKind[];

  @Field({ description: 'Counts only services eligible for full online provision.' })
  @Property({ type: 'boolean', default: false })
  eligibleOnly: boolean = false;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Start of the period the target covers (flow indicators).' })
  @Property({ type: 'date', nullable: true })
  periodStart?: string;

  @Field(() => LocalDateScalar, { description: 'Deadline, or end of the period.' })
  @Property({ type: 'date' })
  deadline!: string;

  @Field({ nullable: true, description: 'For plan issuance: the plan year.' })
  @Property({ type: 'smallint', nullable: true })
  planYear?: number;

  @Field()
  @Property({ type: 'text' })
  legalBasis!: string;

  @Field()
  @Property({ type: 'text' })
  description!: string;
}
