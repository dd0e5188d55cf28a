import { IsOptional, IsString, Length, ValidateNested } from 'class-validator';
import { GraphQLResolveInfo } from 'graphql';
import { Args, ArgsType, Ctx, Field, FieldResolver, Info, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs } from '../common/pagination';
import { LocalDateScalar } from '../common/scalars';
import { GatewayContext } from '../server/context';
import { Service } from '../services/service.entity';
import { LineageType } from './unit-lineage.entity';
import { readAt, Unit, UnitReadAt } from './unit.entity';
import { UnitNode } from './unit-row.mapper';
import { UnitNameSpan } from './unit-name.types';
import { UnitFilter } from './unit.inputs';
import { today } from '../common/calendar';
import { UnitReadService } from './unit-read.service';

@ObjectType()
export class UnitConnection extends Connection(Unit) {}

@ObjectType({ description: 'A lineage link to a predecessor or successor unit.' })
export class UnitLink {
  @Field(() => Unit)
  unit!: UnitNode;

  @Field(() => LineageType)
  type!: LineageType;

  @Field(() => LocalDateScalar)
  effectiveOn!: string;
}

@ArgsType()
class UnitsArgs extends PageArgs {
  @Field(() => UnitFilter, { nullable: true })
  @IsOptional() @ValidateNested()
  filter?: UnitFilter;
}

/** `at` has no class-validator decorator: the LocalDate scalar is the one owner of a date's form (a bad date never reaches a resolver). */
@ArgsType()
class UnitArgs {
  @Field()
  @IsString() @Length(1, 32)
  code!: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Which unit held the code on this date (default today).' })
  at?: string;
}

/** No class-validator decorators on these per-node arguments: the LocalDate scalar checks them (why and the measurement: LevelArgs in services/service.resolver.ts). */
@ArgsType()
class NameAtArgs {
  @Field(() => LocalDateScalar, { description: 'The day whose name is wanted.' })
  date!: string;
}

@ArgsType()
class AtArgs {
  @Field(() => LocalDateScalar, { nullable: true, description: 'Only those that exist on this date.' })
  at?: string;
}

/**
 * A unit's name on a date. Units never renamed (nearly all) answer from the row already read;
 * the others ask unit_name_at, which alone decides which name was in force.
 */
function nameOn(unit: UnitNode, date: string, ctx: GatewayContext): string | Promise<string> {
  // Unknown (a unit read without the formula) counts as possibly renamed: ask.
  return unit.renamed === false ? unit.name : ctx.loaders.unitNameAt.load(`${unit.id}|${date}`);
}

@Resolver(() => Unit)
export class UnitResolver {
  @Query(() => UnitConnection, { description: 'Units, filtered and paged, ordered by code.' })
  units(@Args() { filter, ...page }: UnitsArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    return new UnitReadService(ctx.sql, ctx.loaders).list(filter ?? {}, page, info);
  }

  @Query(() => Unit, { nullable: true, description: 'The unit holding a code on a date. Codes are reused after mergers: 80 was Long An until 30 June 2025 and is Tây Ninh since.' })
  async unit(@Args() { code, at }: UnitArgs, @Ctx() ctx: GatewayContext) {
    const date = at ?? today();
    const unit = await new UnitReadService(ctx.sql, ctx.loaders).findByCode(code, date);
    return unit ? readAt(unit, date) : null;
  }

  @FieldResolver()
  name(@Root() unit: UnitReadAt, @Ctx() ctx: GatewayContext): string | Promise<string> {
    return unit.readAt ? nameOn(unit, unit.readAt, ctx) : unit.name;
  }

  @FieldResolver(() => String, {
    description: 'The name the unit bore on `date`: a former name if it was renamed since (Tỉnh Thừa Thiên Huế until 2024-12-31, '
      + 'Thành phố Huế from 2025-01-01, code 46 throughout), else its current name (also on a date '
      + 'no former name covers, such as after a closed unit\'s last day: the name it closed with).',
  })
  nameAt(@Root() unit: UnitNode, @Args() { date }: NameAtArgs, @Ctx() ctx: GatewayContext): string | Promise<string> {
    return nameOn(unit, date, ctx);
  }

  @FieldResolver(() => [UnitNameSpan], {
    description: 'Every name the unit bore, oldest first, each with the days it was in force; the last is the current name. '
      + 'Only renames without a code change appear here (a merger closes units and opens others: see predecessors).',
  })
  names(@Root() unit: UnitNode, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.unitNames.load(unit.id);
  }

  @FieldResolver(() => Unit, { nullable: true, description: 'The unit directly above (its name read for the same date as this one).' })
  async parent(@Root() unit: UnitReadAt, @Ctx() ctx: GatewayContext) {
    const parent = unit.parent ? await ctx.loaders.unitById.load(unit.parent.id) : undefined;
    return parent ? readAt(parent, unit.readAt) : null;
  }

  @FieldResolver(() => [Unit], { description: 'Units directly below, ordered by code (named as on `at`, else on the date this unit was read for).' })
  async children(@Root() unit: UnitReadAt, @Args() { at }: AtArgs, @Ctx() ctx: GatewayContext) {
    const children = await ctx.loaders.childrenByParent.load(`${unit.id}|${at ?? ''}`);
    const date = at ?? unit.readAt;
    return date ? children.map((c) => readAt(c, date)) : children;
  }

  @FieldResolver(() => [UnitLink], { description: 'Units this one was formed from (2025 reform, ministry restructuring), each named as on its last day.' })
  predecessors(@Root() unit: UnitNode, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.predecessors.load(unit.id);
  }

  @FieldResolver(() => [UnitLink], { description: 'Units this one went into, each named as on its first day.' })
  successors(@Root() unit: UnitNode, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.successors.load(unit.id);
  }

  @FieldResolver(() => [Service], { description: 'Services this unit offers, ordered by procedure code.' })
  services(@Root() unit: UnitNode, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.servicesByUnit.load(unit.id);
  }
}
