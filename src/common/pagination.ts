import { Cursor } from '@mikro-orm/core';
import { IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';
import { ArgsType, ClassType, Field, Int, ObjectType } from 'type-graphql';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: DEFAULT_PAGE_SIZE, description: `Page size, at most ${MAX_PAGE_SIZE}.` })
  @Min(1) @Max(MAX_PAGE_SIZE)
  first: number = DEFAULT_PAGE_SIZE;

  @Field({ nullable: true, description: 'The endCursor of the previous page.' })
  @IsOptional() @IsString() @MaxLength(512)
  after?: string;
}

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field({ nullable: true })
  endCursor?: string;
}

/** A Relay-style connection of T, trimmed to what clients use: nodes, pageInfo, totalCount. */
export function Connection<T extends object>(itemType: ClassType<T>) {
  @ObjectType()
  abstract class ConnectionClass {
    @Field(() => [itemType])
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { nullable: true, description: 'Total matching rows; counted only when asked for.' })
    totalCount?: number;
  }
  return ConnectionClass;
}

export interface ConnectionResult<T> {
  nodes: T[];
  pageInfo: PageInfo;
  totalCount?: number;
}

export function toConnection<T extends object>(cursor: Cursor<T, any, any, any>, withCount: boolean): ConnectionResult<T> {
  return {
    nodes: cursor.items as T[],
    pageInfo: { hasNextPage: cursor.hasNextPage, endCursor: cursor.endCursor ?? undefined },
    totalCount: withCount ? cursor.totalCount : undefined,
  };
}

/** Whether the query selects `field` directly under the current field (e.g. totalCount). */
export function selects(info: GraphQLResolveInfo, field: string): boolean {
  const visit = (set: SelectionSetNode | undefined): boolean =>
    !!set?.selections.some((s) =>
      s.kind === Kind.FIELD ? s.name.value === field : s.kind === Kind.INLINE_FRAGMENT ? visit(s.selectionSet) : false,
    );
  return info.fieldNodes.some((n) => visit(n.selectionSet));
}
