import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { UnitRef } from '../aggregates/aggregate.types';
import { Source } from '../provenance/source.entity';
import { UnitKind } from '../units/unit.entity';
import { PublishedPeriodRef } from '../published/published.types';

export enum ComponentStatus {
  COMPUTED = 'computed',
  NO_DATA = 'no_data',
  NOT_SUPPORTED = 'not_supported',
}
registerEnumType(ComponentStatus, {
  name: 'Index766ComponentStatus',
  description: 'Whether the gateway computes a criterion of the Decision 766 index.',
  valuesConfig: {
    COMPUTED: { description: 'Computed from the facts the gateway holds, by the criterion\'s rule.' },
    NO_DATA: { description: 'Computable, but the unit has nothing to compute it from in the period (a zero denominator): no points, not counted in coveredMaxPoints.' },
    NOT_SUPPORTED: { description: 'The facts the gateway federates cannot support it (`reason` says why): never invented, never counted.' },
  },
});

@ObjectType({ simpleResolvers: true, description: 'One criterion of a group, for one unit.' })
export class Index766Criterion {
  @Field({ description: 'Stable code (data/reference/index-766.json).' }) code!: string;
  @Field({ description: 'As the decision names it.' }) name!: string;
  @Field(() => Float) maxPoints!: number;
  @Field({ description: 'Whether maxPoints was confirmed from the decision; false: the gateway\'s provisional split of the group (docs/index-766.md).' }) pointsConfirmed!: boolean;
  @Field(() => ComponentStatus) status!: ComponentStatus;
  @Field(() => String, { nullable: true, description: 'NOT_SUPPORTED: why the gateway cannot compute it.' }) reason!: string | null;
  @Field(() => Float, { nullable: true, description: 'The rate scored (a fraction), numerator / denominator.' }) rate!: number | null;
  @Field(() => Float, { nullable: true }) numerator!: number | null;
  @Field(() => Float, { nullable: true }) denominator!: number | null;
  @Field(() => Float, { nullable: true, description: 'rate × maxPoints, to 2 decimals (rule "linear"); null unless COMPUTED.' }) points!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'One component group of the index, for one unit.' })
export class Index766Group {
  @Field() code!: string;
  @Field() name!: string;
  @Field(() => Float, { description: 'The group\'s maximum in the decision.' }) maxPoints!: number;
  @Field(() => Float, { description: 'Points of its COMPUTED criteria.' }) points!: number;
  @Field(() => Float, { description: 'The maximum of its COMPUTED criteria: what `points` is out of.' }) coveredMaxPoints!: number;
  @Field(() => [Index766Criterion]) criteria!: Index766Criterion[];
  @Field(() => Float, { nullable: true, description: 'The national portal\'s published score of the group for the unit and period; null when none was synced.' }) publishedPoints!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: 'publishedPoints − points, exact (in hundredths of a point); null without a published score. Where the group is not fullyComputed it '
      + 'includes the published points of the criteria the gateway cannot compute, so only a fullyComputed group\'s difference is a discrepancy.',
  }) differencePoints!: number | null;
  @Field({ description: 'Whether the gateway computes every criterion of the group (coveredMaxPoints = maxPoints): its points then compare with the portal\'s like for like.' }) fullyComputed!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'The national portal\'s own published 766 score of a unit for the period (synced by the DVCQG connector, part index766).' })
export class Index766Published {
  @Field(() => Float, { description: 'The portal\'s total, of 100.' }) total!: number;
  @Field(() => Int, { nullable: true, description: 'The portal\'s rank of the unit among its tier, beside the computed `rank` of the unit.' }) rank!: number | null;
  @Field(() => Float, {
    description: 'total − the unit\'s computed total, exact (in hundredths of a point). The computed total covers coveredMaxPoints of the 100, so this '
      + 'includes the portal\'s points of every criterion the gateway cannot compute; the groups\' differencePoints say where the figures disagree.',
  }) differencePoints!: number;
  @Field(() => Source, { description: 'The source the published score was synced or pushed from.' }) source!: Source;
}

@ObjectType({ simpleResolvers: true, description: 'A province or ministry on the Decision 766 index for a period.' })
export class Index766Unit {
  @Field(() => UnitRef) unit!: UnitRef;
  @Field(() => [Index766Group], { description: 'The five groups, in the decision\'s order.' }) groups!: Index766Group[];
  @Field(() => Float, { description: 'Points of every COMPUTED criterion: the computed part of the 100-point index, never a full score.' }) total!: number;
  @Field(() => Float, { description: 'What total is out of: the maxima of the COMPUTED criteria.' }) coveredMaxPoints!: number;
  @Field(() => Int, { nullable: true, description: 'Rank by total among the units of the tier with a computed criterion (1 = highest; ties share a rank).' }) rank!: number | null;
  @Field(() => Index766Published, { nullable: true, description: 'The portal\'s published score beside it, when synced.' }) published!: Index766Published | null;
}

@ObjectType({ simpleResolvers: true, description: 'A criterion the gateway cannot compute, and why.' })
export class Index766Unsupported {
  @Field() group!: string;
  @Field() criterion!: string;
  @Field() name!: string;
  @Field(() => Float) maxPoints!: number;
  @Field() reason!: string;
}

@ObjectType({ simpleResolvers: true, description: 'The Decision 766 index (766/QĐ-TTg, 23 June 2022) of every province or ministry for a month, quarter or year: each group, the total of what the gateway computes, the rank, and the portal\'s published score beside it. docs/index-766.md.' })
export class Index766 {
  @Field(() => UnitKind) tier!: UnitKind;
  @Field(() => PublishedPeriodRef) period!: PublishedPeriodRef;
  @Field(() => Float, { description: 'Points the criteria the gateway computes are worth (of 100).' }) supportedMaxPoints!: number;
  @Field(() => [Index766Unsupported], { description: 'The criteria returned NOT_SUPPORTED, with the reason.' }) notSupported!: Index766Unsupported[];
  @Field({ description: 'Whether every criterion\'s points were confirmed from the decision (false: some are the gateway\'s provisional split; see pointsConfirmed).' }) weightsConfirmed!: boolean;
  @Field(() => [Index766Unit], { description: 'The units of the tier as reported in the period: for a period spanning the 1 July 2025 merger, both those closed on 30 June and those opened on 1 July, each scored on its own part of the period. By rank (units without a computed criterion last), then code.' }) units!: Index766Unit[];
  @Field(() => [Source], { description: 'Sources whose facts fed the computed criteria.' }) sources!: Source[];
}
