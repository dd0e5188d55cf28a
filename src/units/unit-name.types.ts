import { Field, ObjectType } from 'type-graphql';
import { LocalDateScalar } from '../common/scalars';

/** One name of a unit and the days it was in force. */
@ObjectType({ simpleResolvers: true, description: 'A name an administrative unit bore, and the days it was in force (a rename keeps the unit and its code).' })
export class UnitNameSpan {
  @Field({ description: 'The name, as written in the legal acts of the time.' })
  name!: string;

  @Field(() => LocalDateScalar, { nullable: true, description: 'First day the name was in force (null: from before the catalogue starts).' })
  validFrom!: string | null;

  @Field(() => LocalDateScalar, { nullable: true, description: 'Last day the name was in force (null: still the name).' })
  validTo!: string | null;
}
