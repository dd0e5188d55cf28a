import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { UnitKind } from '../units/unit.entity';
import { UnitRef } from './aggregate.types';

export enum PlanStatus {
  ISSUED = 'issued',
  ISSUED_LATE = 'issued_late',
  OVERDUE = 'overdue',
  PENDING = 'pending',
}
registerEnumType(PlanStatus, {
  name: 'PlanStatus',
  description: 'Where a unit stands with its yearly plan on a date.',
  valuesConfig: {
    ISSUED: { description: 'Issued on or before the date, by its deadline (or no deadline is known).' },
    ISSUED_LATE: { description: 'Issued on or before the date, after its deadline.' },
    OVERDUE: { description: 'Not issued by the date, and the deadline has passed.' },
    PENDING: { description: 'Not issued by the date, the deadline not yet passed (or unknown).' },
  },
});

@ObjectType({ simpleResolvers: true, description: "A unit's yearly plan status on a date." })
export class UnitPlanStatus {
  @Field(() => UnitRef, { description: 'The unit, named as in the plan year: on its last day, or on asOf if earlier.' })
  unit!: UnitRef;

  @Field(() => PlanStatus)
  status!: PlanStatus;

  @Field(() => LocalDateScalar, { nullable: true, description: "The plan row's own due date, else the plan_issued target's deadline for the year and the unit's kind." })
  deadline!: string | null;

  @Field(() => Int, { nullable: true, description: 'Days past the deadline, when OVERDUE.' })
  daysOverdue!: number | null;

  @Field(() => String, { nullable: true })
  documentNumber!: string | null;

  @Field(() => String, { nullable: true })
  title!: string | null;

  @Field(() => LocalDateScalar, { nullable: true })
  issuedOn!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class PlanComplianceCounts {
  @Field(() => Int, { description: 'Units of the scope that exist on the date.' })
  units!: number;

  @Field(() => Int, { description: 'ISSUED + ISSUED_LATE.' })
  issued!: number;

  @Field(() => Int)
  issuedOnTime!: number;

  @Field(() => Int)
  issuedLate!: number;

  @Field(() => Int)
  overdue!: number;

  @Field(() => Int)
  pending!: number;
}

@ObjectType({ simpleResolvers: true, description: 'Which units of a scope have issued their plan for a year, and which are overdue, on a date.' })
export class PlanCompliance {
  @Field(() => Int)
  year!: number;

  @Field(() => LocalDateScalar)
  asOf!: string;

  @Field(() => [UnitKind])
  kinds!: UnitKind[];

  @Field(() => PlanComplianceCounts, { description: 'Over every unit of the scope (before the status filter).' })
  counts!: PlanComplianceCounts;

  @Field(() => [UnitPlanStatus], { description: 'Ordered by kind and code; only the statuses asked for.' })
  units!: UnitPlanStatus[];
}
