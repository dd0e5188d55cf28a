import { ArrayType, DecimalType, Entity, Enum, PrimaryKey, Property } from '@mikro-orm/core';
import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { UnitKind } from '../units/unit.entity';

/** The indicators of docs/domain.md ("Indicators"), plus plan issuance ("Targets and plans"). */
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
registerEnumType(Indicator, {
  name: 'Indicator',
  description: 'Key performance indicators of online public services. Each is a ratio of sums over its scope (never an average of '
    + 'unit ratios), given with its numerator and denominator; a zero denominator gives no value. Stock indicators are counted on a '
    + 'date, flow indicators summed over a period. See docs/domain.md, "Indicators".',
  valuesConfig: {
    LEVEL4_SHARE: {
      description: 'Level-4 (full-online) share: services at level 4 (full, toàn trình) / services in scope (services with a level in force '
        + 'on the date; for targets on eligible services, eligible services only). Stock.',
    },
    LEVEL34_SHARE: { description: 'Level-3-and-4 share: services at level 3 or 4 (partial or full) / services in scope. Stock.' },
    SERVICES_WITH_ONLINE_FILINGS: {
      description: 'Services with online filings: online services (level 3 or 4) with at least one dossier received online in the period '
        + '/ online services (both counted on the last day of the period).',
    },
    ONLINE_DOSSIER_RATE: { description: 'Online dossier rate: dossiers received online / all dossiers received (online + in person + postal). Flow.' },
    ON_TIME_RATE: { description: 'On-time rate: dossiers resolved on time / dossiers resolved (on time + late). Flow.' },
    ONLINE_PAYMENT_RATE: { description: 'Online payment rate: dossiers whose fee was paid online / dossiers with a fee obligation. Flow.' },
    DVCQG_INTEGRATION: { description: 'National portal integration: online services (level 3 or 4) integrated on DVCQG / online services. Stock.' },
    PLAN_ISSUED: {
      description: 'Plan issuance: units that issued their yearly online-service plan by the date / units expected to issue one '
        + '(a ministry or province: itself, so 1 or 0 of 1; the nation: the ministries and provinces existing on the date). Stock.',
    },
  },
});

export enum Comparison {
  AT_LEAST = 'at_least',
  AT_MOST = 'at_most',
}
registerEnumType(Comparison, {
  name: 'Comparison',
  description: 'How an indicator value is compared with a target threshold.',
  valuesConfig: {
    AT_LEAST: { description: 'Met when the value is at least the threshold.' },
    AT_MOST: { description: 'Met when the value is at most the threshold.' },
  },
});

/** A target is data: a new one is a row, not code. */
@ObjectType({
  description: 'A target an indicator must meet, set by a legal document. Scope: the kinds of unit it applies to (scopeKinds), and '
    + 'whether it counts only services eligible for full online provision (eligibleOnly). Period: from periodStart (when given) to '
    + 'deadline; a stock indicator (level shares, integration, plan issuance) is to reach the threshold by the deadline, a flow '
    + 'indicator (rates of dossiers) over the period. It is in force from periodStart (when given) through deadline, both included: '
    + 'a KPI judges a unit only against the targets in force on its date. A unit meets it when its value compares with the threshold '
    + 'as comparison says. '
    + 'See docs/domain.md, "Targets and plans".',
})
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

  @Field(() => LocalDateScalar, { nullable: true, description: 'First day the target is in force (for a flow indicator, the start of the period it is measured over); null: in force on every date up to the deadline.' })
  @Property({ type: 'date', nullable: true })
  periodStart?: string;

  @Field(() => LocalDateScalar, { description: 'Deadline, or end of the period: the last day the target is in force.' })
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
