import 'reflect-metadata';
import {
  IsBoolean, IsDefined, IsInt, IsOptional, IsString, Length, Max, MaxLength, Min, registerDecorator, ValidateIf, ValidateNested, validateOrReject, ValidationError,
} from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import { argumentValidator } from '../../src/common/argument-validator';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * The arguments' validation (src/common/argument-validator.ts) refuses exactly what class-validator
 * refuses, with class-validator's own errors, and lets through exactly what it lets through: each
 * value below is judged both ways and the outcomes compared, including the cases its fast path
 * hands back to class-validator (nested rules, IsDefined, ValidateIf, a promise). Then, over real
 * HTTP, the errors clients get, word for word.
 */

class Page {
  @Min(1) @Max(500)
  first = 50;

  @IsOptional() @IsString() @MaxLength(512)
  after?: string;
}

class Lookup extends Page {
  @IsString() @Length(1, 32)
  code!: string;

  @IsOptional() @IsBoolean()
  essential?: boolean;

  @IsOptional() @IsInt()
  year?: number;
}

class Inner {
  @Length(2, 3)
  code!: string;
}

class WithNested {
  @ValidateNested()
  inner?: Inner;
}

/** A list's arguments: a page and an optional nested filter with rules of its own (UnitsArgs). */
class WithFilter extends Page {
  @IsOptional() @ValidateNested()
  filter?: Inner;
}

class WithDefined {
  @IsDefined()
  code?: string;
}

class WithCondition {
  @ValidateIf((o: WithCondition) => o.kind === 'long') @Length(5, 10)
  code?: string;

  kind?: string;
}

/** A rule that answers with a promise: refuses "no". */
function NotNo() {
  return (object: object, propertyName: string) => registerDecorator({
    name: 'notNo', target: object.constructor, propertyName, validator: { validate: async (value: unknown) => value !== 'no' },
  });
}

class WithAsync {
  @NotNo()
  word?: string;
}

const make = <T extends object>(cls: new () => T, fields: Partial<T>): T => Object.assign(new cls(), fields);

/** class-validator alone, as type-graphql's own validation runs it: the errors' JSON, or 'ok'. */
async function byClassValidator(value: object): Promise<string> {
  try {
    await validateOrReject(value, { forbidUnknownValues: false, skipMissingProperties: true });
    return 'ok';
  } catch (e) {
    return JSON.stringify(e as ValidationError[]);
  }
}

async function byArgumentValidator(value: object): Promise<string> {
  try {
    await argumentValidator()(value);
    return 'ok';
  } catch (e) {
    expect(e).toBeInstanceOf(ArgumentValidationError);
    return JSON.stringify((e as ArgumentValidationError).extensions.validationErrors);
  }
}

// 32 characters as class-validator counts them (a surrogate pair is one), 64 UTF-16 code units.
const EMOJI_32 = '😀'.repeat(32);

const CASES: [string, object][] = [
  ['a valid lookup', make(Lookup, { code: '80', after: 'abc', essential: true, year: 2024 })],
  ['the defaults, optional fields missing', make(Lookup, { code: '01' })],
  ['optional fields null', make(Lookup, { code: '01', after: null as unknown as string, essential: null as unknown as boolean })],
  ['an empty code', make(Lookup, { code: '' })],
  ['a code of 33 characters', make(Lookup, { code: 'x'.repeat(33) })],
  ['a code of 32 characters', make(Lookup, { code: 'x'.repeat(32) })],
  ['32 emoji (64 code units, 32 characters)', make(Lookup, { code: EMOJI_32 })],
  ['33 emoji', make(Lookup, { code: `${EMOJI_32}😀` })],
  ['a variation selector', make(Lookup, { code: `${'x'.repeat(31)}\u2764\uFE0F` })],
  ['first 0', make(Lookup, { code: '01', first: 0 })],
  ['first 501', make(Lookup, { code: '01', first: 501 })],
  ['first 500', make(Lookup, { code: '01', first: 500 })],
  ['several wrong at once', make(Lookup, { code: '', first: 0, after: 'y'.repeat(513) })],
  ['a number where a string is due', make(Lookup, { code: 80 as unknown as string })],
  ['a string where a boolean is due', make(Lookup, { code: '01', essential: 'yes' as unknown as boolean })],
  ['a fraction where an integer is due', make(Lookup, { code: '01', year: 2024.5 })],
  ['a valid nested value', make(WithNested, { inner: make(Inner, { code: 'ab' }) })],
  ['a bad nested value', make(WithNested, { inner: make(Inner, { code: 'a' }) })],
  ['a nested value that is a list', make(WithNested, { inner: [make(Inner, { code: 'a' })] as unknown as Inner })],
  ['a nested value that is a string', make(WithNested, { inner: 'ab' as unknown as Inner })],
  ['an optional filter missing', make(WithFilter, {})],
  ['a valid optional filter', make(WithFilter, { filter: make(Inner, { code: 'abc' }) })],
  ['a bad optional filter and a bad page size', make(WithFilter, { first: 0, filter: make(Inner, { code: '' }) })],
  ['IsDefined with the value missing', make(WithDefined, {})],
  ['IsDefined with the value there', make(WithDefined, { code: 'x' })],
  ['ValidateIf off', make(WithCondition, { code: 'ab', kind: 'short' })],
  ['ValidateIf on, refused', make(WithCondition, { code: 'ab', kind: 'long' })],
  ['a rule answering with a promise, passing', make(WithAsync, { word: 'yes' })],
  ['a rule answering with a promise, refusing', make(WithAsync, { word: 'no' })],
];

describe('argument validation', () => {
  it.each(CASES)('%s: the same outcome and errors as class-validator', async (_name, value) => {
    expect(await byArgumentValidator(value)).toEqual(await byClassValidator(value));
  });

  it('refuses the cases meant to be refused (the comparison above is not between two passes)', async () => {
    const outcomes = await Promise.all(CASES.map(async ([name, value]) => [name, (await byArgumentValidator(value)) === 'ok'] as const));
    expect(outcomes.filter(([, ok]) => !ok).map(([name]) => name)).toEqual([
      'an empty code', 'a code of 33 characters', '33 emoji', 'first 0', 'first 501', 'several wrong at once', 'a number where a string is due',
      'a string where a boolean is due', 'a fraction where an integer is due', 'a bad nested value', 'a nested value that is a list',
      'a nested value that is a string', 'a bad optional filter and a bad page size', 'IsDefined with the value missing',
      'ValidateIf on, refused', 'a rule answering with a promise, refusing',
    ]);
  });

  it('validates each object of a list, refusing with the first refused one\'s errors', async () => {
    const list = [make(Lookup, { code: '01' }), make(Lookup, { code: '' })];
    const error = await argumentValidator()(list).then(() => undefined, (e: ArgumentValidationError) => e);
    expect(error?.extensions.validationErrors).toEqual([expect.objectContaining({ property: 'code', constraints: { isLength: 'code must be longer than or equal to 1 characters' } })]);
    await expect(argumentValidator()([make(Lookup, { code: '01' }), 'not an object', null])).resolves.toBeUndefined();
  });
});

describe('argument errors over HTTP', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
  });
  afterAll(() => gw?.stop());

  it('answers a bad unit code and a bad page size with class-validator\'s words, naming the field', async () => {
    const empty = await gw.gql('{ unit(code: "") { code } }');
    expect(empty.errors).toEqual([{
      message: 'Argument Validation Error', locations: [{ line: 1, column: 3 }], path: ['unit'],
      extensions: { code: 'BAD_USER_INPUT', validationErrors: [{ target: { code: '' }, value: '', property: 'code', children: [], constraints: { isLength: 'code must be longer than or equal to 1 characters' } }] },
    }]);
    const long = await gw.gql('query ($code: String!) { unit(code: $code) { code } }', { code: 'x'.repeat(33) });
    expect(long.errors?.[0].extensions?.validationErrors).toEqual([{ target: { code: 'x'.repeat(33) }, value: 'x'.repeat(33), property: 'code', children: [], constraints: { isLength: 'code must be shorter than or equal to 32 characters' } }]);
    const page = await gw.gql('{ procedures(first: 0) { nodes { code } } }');
    expect(page.errors?.map((e) => [e.extensions?.code, e.extensions?.validationErrors])).toEqual([
      ['BAD_USER_INPUT', [{ target: { first: 0 }, value: 0, property: 'first', children: [], constraints: { min: 'first must not be less than 1' } }]],
    ]);
  });

  it('answers a list\'s bad filter with the filter\'s field named (every list with a filter)', async () => {
    const lists: [string, string][] = [
      ['units', 'code'], ['procedures', 'code'], ['services', 'unitCode'], ['filingStats', 'procedureCode'], ['plans', 'unitCode'],
    ];
    for (const [list, field] of lists) {
      const answer = await gw.gql(`{ ${list}(filter: { ${field}: "" }) { totalCount } }`);
      expect([list, answer.errors?.map((e) => [e.extensions?.code, e.path])]).toEqual([list, [['BAD_USER_INPUT', [list]]]]);
      const [error] = answer.errors?.[0].extensions?.validationErrors as { property: string; children: { property: string; constraints: Record<string, string> }[] }[];
      expect([list, error.property, error.children.map((c) => [c.property, c.constraints])]).toEqual([
        list, 'filter', [[field, { isLength: `${field} must be longer than or equal to 1 characters` }]],
      ]);
    }
    // The same filters with a value in range are answered.
    const ok = await gw.gql('{ units(filter: { code: "80" }) { totalCount } procedures(filter: { code: "x" }) { totalCount } }');
    expect(ok.errors).toBeUndefined();
    expect(ok.data).toEqual({ units: { totalCount: 2 }, procedures: { totalCount: 0 } });
  });

  it('answers a valid lookup (80 on 2024-01-01 is Long An, on 2025-08-01 Tây Ninh) and a bad date through the scalar', async () => {
    const query = 'query ($at: LocalDate) { unit(code: "80", at: $at) { name validTo } }';
    expect((await gw.gql(query, { at: '2024-01-01' })).data).toEqual({ unit: { name: 'Tỉnh Long An', validTo: '2025-06-30' } });
    expect((await gw.gql(query, { at: '2025-08-01' })).data).toEqual({ unit: { name: 'Tỉnh Tây Ninh', validTo: null } });
    const bad = await gw.gql(query, { at: '2024-02-30' });
    expect(bad.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    expect(bad.errors?.[0].message).toContain('2024-02-30');
  });
});
