import { ArrayMaxSize, ArrayUnique, IsEnum, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Args, ArgsType, Ctx, Field, Int, Query, Resolver } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';
import { GatewayContext } from '../server/context';
import { UnitKind } from '../units/unit.entity';
import { today } from '../common/calendar';
import { PlanComplianceService } from './plan-compliance.service';
import { PlanCompliance, PlanStatus } from './plan-compliance.types';

@ArgsType()
class PlanComplianceArgs {
  @Field(() => Int, { description: 'The plan year.' })
  @IsInt() @Min(2000) @Max(2100)
  year!: number;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Default: today.' })
  asOf?: string;

  @Field(() => [UnitKind], { nullable: true, description: 'Kinds of unit in scope, those existing on asOf. Default: PROVINCE and MINISTRY.' })
  @IsOptional() @ArrayMaxSize(6) @ArrayUnique() @IsEnum(UnitKind, { each: true })
  kinds?: UnitKind[];

  @Field(() => [PlanStatus], { nullable: true, description: 'List only units in these statuses (counts cover all).' })
  @IsOptional() @ArrayUnique() @IsEnum(PlanStatus, { each: true })
  status?: PlanStatus[];
}

@Resolver()
export class PlanComplianceResolver {
  @Query(() => PlanCompliance, { description: 'Who has issued the yearly plan and who is overdue, on a date (the overdue list: status: [OVERDUE]).' })
  planCompliance(@Args() { year, asOf, kinds, status }: PlanComplianceArgs, @Ctx() ctx: GatewayContext): Promise<PlanCompliance> {
    return new PlanComplianceService(ctx.sql, ctx.config.statementTimeoutMs).compliance(year, asOf ?? today(), kinds ?? [UnitKind.PROVINCE, UnitKind.MINISTRY], status);
  }
}
