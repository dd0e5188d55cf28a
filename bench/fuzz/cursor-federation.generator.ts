import { FuzzCase, FuzzContext, junkString, op, randomBytes } from './fuzz-case';

/**
 * Pagination cursors (random base64, wrong shapes, huge) on every connection, and federation's
 * `_entities` with unknown typenames, missing or bad ids, and huge representation lists.
 */
const CONNECTIONS: [string, string][] = [
  ['units', 'query($after: String) { units(first: 5, after: $after) { nodes { code } pageInfo { endCursor } } }'],
  ['filingStats', 'query($after: String) { filingStats(filter: { unitCode: "80", unitAt: "2024-01-01" }, first: 5, after: $after) { nodes { month } } }'],
  ['procedures', 'query($after: String) { procedures(first: 5, after: $after) { nodes { code } } }'],
  ['services', 'query($after: String) { services(filter: { unitCode: "80" }, first: 5, after: $after) { nodes { id } } }'],
  ['plans', 'query($after: String) { plans(first: 5, after: $after) { nodes { year } } }'],
];

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

function cursors(ctx: FuzzContext): FuzzCase[] {
  const { rng } = ctx;
  const shaped = [
    b64('[]'), b64('[1]'), b64('[null]'), b64('["a","b","c","d","e","f"]'), b64('{"id":1}'), b64('"x"'), b64('1e309'), b64('[1e309]'),
    b64('[99999999999999999999999]'), b64('[-1]'), b64('["\u0000"]'), b64('["2025-13-45"]'), b64('[{"$gt":0}]'), b64('[[[[[[1]]]]]]'),
    b64('{"__proto__":{"x":1}}'), b64(`[${'1,'.repeat(5000)}1]`), b64('[true,false]'), b64('["\' OR 1=1 --"]'), b64('[1, "2025-01-01", "80"]'),
    b64('not json'), b64('v1|20250101000000|x'),
  ];
  const raw = ['', ' ', '=', '====', '%%%', '\u0000', 'a'.repeat(100_000), '!!!notbase64!!!', '../../etc/passwd', 'null', 'undefined'];
  const out: FuzzCase[] = [];
  for (const [name, query] of CONNECTIONS) {
    for (const c of [...shaped, ...raw]) out.push(op('cursor', `${name}: bad cursor`, query, { after: c }));
    for (let i = 0; i < 6; i++) out.push(op('cursor', `${name}: random base64`, query, { after: randomBytes(rng, 1 + rng.int(200)).toString(i % 2 ? 'base64' : 'base64url') }));
    out.push(op('cursor', `${name}: junk cursor`, query, { after: junkString(rng, 30) }));
    out.push(op('cursor', `${name}: cursor is a number`, query, { after: 12345 }));
  }
  return out;
}

function entities(ctx: FuzzContext): FuzzCase[] {
  const { rng } = ctx;
  const q = 'query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Unit { code } ... on Source { code } ... on Procedure { code } } }';
  const reps: [string, unknown][] = [
    ['unknown typename', [{ __typename: 'Nope', id: '1' }]],
    ['no typename', [{ id: '1' }]],
    ['typename not an entity', [{ __typename: 'Query', id: '1' }]],
    ['typename of a scalar', [{ __typename: 'String', id: '1' }]],
    ['typename null', [{ __typename: null, id: '1' }]],
    ['typename number', [{ __typename: 5, id: '1' }]],
    ['typename NUL', [{ __typename: 'Unit\u0000', id: '1' }]],
    ['id missing', [{ __typename: 'Unit' }]],
    ['id null', [{ __typename: 'Unit', id: null }]],
    ['id text', [{ __typename: 'Unit', id: 'abc' }]],
    ['id negative', [{ __typename: 'Unit', id: '-1' }]],
    ['id huge', [{ __typename: 'Unit', id: '99999999999999999999999999' }]],
    ['id float', [{ __typename: 'Source', id: 1.5 }]],
    ['id object', [{ __typename: 'Procedure', id: { $ne: 1 } }]],
    ['id array', [{ __typename: 'Sector', id: [1, 2] }]],
    ['id SQL', [{ __typename: 'Service', id: "1' OR '1'='1" }]],
    ['id NUL', [{ __typename: 'Unit', id: '1\u0000' }]],
    ['id 2^31', [{ __typename: 'Unit', id: String(2 ** 31) }]],
    ['representation is a string', ['Unit:1']],
    ['representation is null', [null]],
    ['representations not a list', { __typename: 'Unit', id: '1' }],
    ['10,000 representations', Array.from({ length: 10_000 }, (_, i) => ({ __typename: 'Unit', id: String(i) }))],
    ['10,000 unknown typenames', Array.from({ length: 10_000 }, (_, i) => ({ __typename: `T${i}`, id: String(i) }))],
    ['mixed good and bad', [{ __typename: 'Unit', id: '1' }, { __typename: 'Nope', id: '1' }, { __typename: 'Unit', id: 'x' }]],
  ];
  const out = reps.map(([name, r]) => op('federation', `_entities ${name}`, q, { r }));
  for (let i = 0; i < 10; i++) out.push(op('federation', '_entities junk', q, { r: [{ __typename: junkString(rng, 8), id: junkString(rng, 8) }] }));
  out.push(op('federation', '_service sdl 50 aliases', `{ ${Array.from({ length: 50 }, (_, i) => `s${i}: _service { sdl }`).join(' ')} }`));
  out.push(op('federation', '_entities inline literal unknown', '{ _entities(representations: [{ __typename: "Nope" }]) { __typename } }'));
  return out;
}

export const cursorFederationGenerator = (ctx: FuzzContext): FuzzCase[] => [...cursors(ctx), ...entities(ctx)];
