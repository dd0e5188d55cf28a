import { IsDateString, IsOptional, IsString, Length } from 'class-validator';
import { GraphQLResolveInfo } from 'graphql';
import { Args, ArgsType, Ctx, Field, FieldResolver, Info, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Connection, PageArgs } from '../common/pagination';
import { LocalDateScalar } from '../common/scalars';
import { GatewayContext } from '../server/context';
import { Service } from '../services/service.entity';
import { LineageType } from './unit-lineage.entity';
import { Unit } from './unit.entity';
import { UnitFilter } from './unit.inputs';
import { today } from '../common/calendar';
import { UnitService } from './unit.service';

@ObjectType()
export class UnitConnection extends Connection(Unit) {}

@ObjectType({ description: 'A lineage link to a predecessor or successor unit.' })
export class UnitLink {
  @Field(() => Unit)
  unit!: Unit;

  @Field(() => LineageType)
  type!: LineageType;

  @Field(() => LocalDateScalar)
  effectiveOn!: string;
}

@ArgsType()
class UnitsArgs extends PageArgs {
  @Field(() => UnitFilter, { nullable: true })
  filter?: UnitFilter;
}

@ArgsType()
class UnitArgs {
  @Field()
  @IsString() @Length(1, 32)
  code!: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Which unit held the code on this date (default today).' })
  @IsOptional() @IsDateString({ strict: true })
  at?: string;
}

@ArgsType()
class AtArgs {
  @Field(() => LocalDateScalar, { nullable: true, description: 'Only those that exist on this date.' })
  @IsOptional() @IsDateString({ strict: true })
  at?: string;
}

@Resolver(() => Unit)
export class UnitResolver {
  @Query(() => UnitConnection, { description: 'Units, filtered and paged, ordered by code.' })
  units(@Args() { filter, ...page }: UnitsArgs, @Ctx() ctx: GatewayContext, @Info() info: GraphQLResolveInfo) {
    return new UnitService(ctx.em).list(filter ?? {}, page, info);
  }

  @Query(() => Unit, { nullable: true, description: 'The unit holding a code on a date. Codes are reused after mergers: 80 was Long An until 30 June 2025 and is Tây Ninh since.' })
  unit(@Args() { code, at }: UnitArgs, @Ctx() ctx: GatewayContext) {
    return new UnitService(ctx.em).findByCode(code, at ?? today());
  }

  @FieldResolver(() => Unit, { nullable: true })
  parent(@Root() unit: Unit, @Ctx() ctx: GatewayContext) {
    return unit.parent ? ctx.loaders.unitById.load(unit.parent.id) : null;
  }

  @FieldResolver(() => [Unit], { description: 'Units directly below, ordered by code.' })
  children(@Root() unit: Unit, @Args() { at }: AtArgs, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.childrenByParent.load(`${unit.id}|${at ?? ''}`);
  }

  @FieldResolver(() => [UnitLink], { description: 'Units this one was formed from (2025 reform, ministry restructuring).' })
  predecessors(@Root() unit: Unit, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.predecessors.load(unit.id);
  }

  @FieldResolver(() => [UnitLink], { description: 'Units this one went into.' })
  successors(@Root() unit: Unit, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.successors.load(unit.id);
  }

  @FieldResolver(() => [Service], { description: 'Services this unit offers, ordered by procedure code.' })
  services(@Root() unit: Unit, @Ctx() ctx: GatewayContext) {
    return ctx.loaders.servicesByUnit.load(unit.id);
  }
}
