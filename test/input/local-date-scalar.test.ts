import { GraphQLLocalDate } from 'graphql-scalars';
import { LocalDateScalar } from '../../src/common/scalars';

/**
 * The LocalDate scalar answers dates without checking them again (they come from PostgreSQL's
 * `date`), and refuses what clients send exactly as graphql-scalars' LocalDate does.
 */
describe('LocalDate scalar', () => {
  it('writes a date string as it is, and leaves anything else to graphql-scalars', () => {
    expect(LocalDateScalar.serialize('2025-07-01')).toBe('2025-07-01');
    expect(() => LocalDateScalar.serialize('1 July 2025')).toThrow('Value is not a valid LocalDate: 1 July 2025');
    // A Date is graphql-scalars' to judge (it refuses it: not a string).
    const leapDay = new Date('2024-02-29T00:00:00Z');
    expect(() => LocalDateScalar.serialize(leapDay)).toThrow(/^Value is not string/);
    expect(() => GraphQLLocalDate.serialize(leapDay)).toThrow(/^Value is not string/);
  });

  it.each(['2020-02-30', '2024-13-45', '24-01-01', ''])('refuses %j from a client in graphql-scalars\' words', (value) => {
    const messageOf = (parse: () => unknown) => {
      try {
        parse();
      } catch (e) {
        return (e as Error).message;
      }
      return undefined;
    };
    const ours = messageOf(() => LocalDateScalar.parseValue(value));
    expect(ours).toBe(messageOf(() => GraphQLLocalDate.parseValue(value)));
    expect(ours).toMatch(/^Value is not a valid LocalDate/);
  });
});
