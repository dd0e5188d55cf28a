import { FuzzCase, FuzzContext, junkString, op } from './fuzz-case';

/**
 * Documents meant to cost: huge, deep, fragment bombs and cycles, too many aliases, tokens or
 * directives, introspection abuse, and plain syntax and validation errors.
 */
function abusive(): FuzzCase[] {
  const q = (name: string, query: string) => op('query', name, query);
  const nest = (depth: number) => `{ units(first: 5) { nodes { ${'children { '.repeat(depth)}code${' }'.repeat(depth)} } } }`;
  const fragBomb = (levels: number) => {
    const frags = [`fragment F0 on Unit { code name }`];
    for (let i = 1; i <= levels; i++) frags.push(`fragment F${i} on Unit { ...F${i - 1} parent { ...F${i - 1} } children { ...F${i - 1} } }`);
    return `{ units(first: 500) { nodes { ...F${levels} } } } ${frags.join(' ')}`;
  };
  const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: sources { code }`).join(' ')} }`;
  const aggAliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: aggregate(query: { measures: [DOSSIERS_RECEIVED], groupBy: [UNIT], unitTier: COMMUNE, limit: 5000 }) { rows { measures { value } } }`).join(' ')} }`;
  return [
    q('depth 15', nest(15)),
    q('depth 60', nest(60)),
    q('depth 3,000 (parser recursion)', nest(3000)),
    q('fragment bomb 10 levels', fragBomb(10)),
    q('fragment bomb 25 levels', fragBomb(25)),
    q('fragment cycle', '{ units { nodes { ...A } } } fragment A on Unit { ...B } fragment B on Unit { ...A }'),
    q('self-referencing fragment', '{ units { nodes { ...A } } } fragment A on Unit { children { ...A } }'),
    q('unused fragment on unknown type', '{ sources { code } } fragment X on Nope { a }'),
    q('40 aliases', aliases(40)),
    q('1,000 aliases', aliases(1000)),
    q('20,000 aliases', aliases(20_000)),
    q('25 aliased commune aggregates of 5,000 rows', aggAliases(25)),
    q('same field 10,000 times', `{ ${'sources { code } '.repeat(10_000)} }`),
    q('20,000 tokens of __typename', `{ ${'__typename '.repeat(20_000)} }`),
    q('200,000 tokens', `{ ${'a '.repeat(200_000)} }`),
    q('10,000 directives', `{ sources ${'@include(if: true) '.repeat(10_000)} { code } }`),
    q('unknown directive', '{ sources @nope { code } }'),
    q('@defer', '{ sources { ... @defer { code } } }'),
    q('@stream', '{ sources @stream(initialCount: 1) { code } }'),
    q('string literal 900 KB', `{ unit(code: "${'x'.repeat(900 * 1024)}") { code } }`),
    q('list literal of 100,000 codes', `{ aggregate(query: { measures: [DOSSIERS_RECEIVED], filter: { unitCodes: [${'"01",'.repeat(100_000)}] } }) { totalRows } }`),
    q('introspection deep ofType chain', `{ __schema { types { fields { type { ${'ofType { '.repeat(30)}name${' }'.repeat(30)} } } } } }`),
    q('introspection 30 aliases of __schema', `{ ${Array.from({ length: 30 }, (_, i) => `s${i}: __schema { types { name fields { name args { name } } } }`).join(' ')} }`),
    q('__type of unknown', '{ __type(name: "Nope") { name } }'),
    q('unit children over every province', '{ units(first: 500) { nodes { children { children { children { services { levelHistory { level } } } } } } } }'),
    q('first 500 nested twice', '{ units(first: 500) { nodes { children(first: 500) { code } } } }'),
    q('aggregate limit 5,000 by procedure and unit', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED, ON_TIME_RATE], groupBy: [UNIT, PROCEDURE, PERIOD], unitTier: COMMUNE, periodGrain: MONTH, limit: 5000 }) { rows { measures { value } } } }'),
    q('aggregate 20 measures by everything', `{ aggregate(query: { measures: [DOSSIERS_RECEIVED, DOSSIERS_ONLINE, ON_TIME_RATE, LEVEL4_SHARE, LEVEL34_SHARE, ONLINE_DOSSIER_RATE, ONLINE_PAYMENT_RATE, DVCQG_INTEGRATION, SERVICES, SERVICES_WITH_ONLINE_FILINGS], groupBy: [UNIT, SECTOR, LEVEL, ESSENTIAL, ELIGIBLE, PERIOD], unitTier: COMMUNE, levels: MAPPED_TO_DECREE42, period: { from: "2018-01", to: "2025-12" }, periodGrain: MONTH, limit: 5000, preferRollups: false }) { totalRows } }`),
    q('stock series over 100 years', '{ aggregate(query: { measures: [LEVEL4_SHARE], groupBy: [PERIOD], periodGrain: MONTH, levels: DECREE42, period: { from: "1945-01", to: "2100-12" } }) { totalRows } }'),
    q('kpi with 100,000 trend periods', '{ kpi(indicator: LEVEL4_SHARE, unitCode: "80", levels: DECREE42, trendPeriods: 100000, trendGrain: MONTH) { value } }'),
  ];
}

function invalid(ctx: FuzzContext): FuzzCase[] {
  const { rng } = ctx;
  const fixed: [string, string][] = [
    ['syntax: unclosed brace', '{ sources { code }'],
    ['syntax: stray token', '{ sources { code } } }'],
    ['syntax: empty document', ''],
    ['syntax: only a comment', '# nothing'],
    ['unknown field', '{ nope }'],
    ['unknown argument', '{ sources(nope: 1) { code } }'],
    ['missing selection', '{ units }'],
    ['scalar with selection', '{ sources { code { x } } }'],
    ['wrong enum value', '{ aggregate(query: { measures: [NOPE] }) { totalRows } }'],
    ['enum as string', '{ aggregate(query: { measures: ["DOSSIERS_RECEIVED"] }) { totalRows } }'],
    ['two anonymous operations', '{ sources { code } } { sources { code } }'],
    ['two named, no operationName', 'query A { sources { code } } query B { sources { code } }'],
    ['undefined variable', 'query { unit(code: $c) { code } }'],
    ['unused variable of unknown type', 'query($x: Nope) { sources { code } }'],
    ['variable list of lists', 'query($x: [[[[[[String]]]]]]) { sources { code } }'],
    ['fragment on scalar', '{ sources { ...F } } fragment F on String { length }'],
    ['inline fragment on wrong type', '{ sources { ... on Unit { code } } }'],
    ['mutation without key', 'mutation { ingest(batch: {}) { rowsRead } }'],
    ['unknown mutation', 'mutation { dropAll }'],
    ['subscription', 'subscription { sources { code } }'],
    ['subscription named', 'subscription Live { unit(code: "80") { code } }'],
    ['schema definition as query', 'type Query { a: Int } schema { query: Query }'],
    ['extend schema', 'extend type Query { x: Int }'],
    ['directive definition', 'directive @x on FIELD'],
    ['non-ASCII field name', '{ sốurces { code } }'],
    ['block string injection', '{ unit(code: """\n\u0000"""\n) { code } }'],
    ['unicode escape of NUL', '{ unit(code: "\\u0000") { code } }'],
    ['bad unicode escape', '{ unit(code: "\\uZZZZ") { code } }'],
    ['int overflow literal', '{ units(first: 99999999999999999999) { nodes { code } } }'],
    ['float for Int literal', '{ units(first: 1.5) { nodes { code } } }'],
    ['negative first', '{ units(first: -1) { nodes { code } } }'],
    ['first zero', '{ units(first: 0) { nodes { code } } }'],
    ['first 100,000', '{ units(first: 100000) { nodes { code } } }'],
    ['limit over max', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], limit: 1000000 }) { totalRows } }'],
    ['limit negative', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], limit: -5 }) { totalRows } }'],
    ['no measures', '{ aggregate(query: { measures: [] }) { totalRows } }'],
    ['21 measures', `{ aggregate(query: { measures: [${'DOSSIERS_RECEIVED '.repeat(21)}] }) { totalRows } }`],
    ['period from after to', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], period: { from: "2025-12", to: "2018-01" } }) { totalRows } }'],
    ['stock without levels', '{ aggregate(query: { measures: [LEVEL4_SHARE] }) { totalRows } }'],
    ['asOf with flows', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], asOf: "2025-01-01" }) { totalRows } }'],
    ['having on unknown measure', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], having: [{ measure: ON_TIME_RATE, op: GT, value: 1e308 }] }) { totalRows } }'],
    ['orderBy neither', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], orderBy: [{ direction: DESC }] }) { totalRows } }'],
    ['orderBy dimension not grouped', '{ aggregate(query: { measures: [DOSSIERS_RECEIVED], orderBy: [{ dimension: SECTOR, direction: DESC }] }) { totalRows } }'],
    ['kpi unknown unit', '{ kpi(indicator: LEVEL4_SHARE, unitCode: "zz", levels: DECREE42) { value } }'],
    ['kpi flow with asOf', '{ kpi(indicator: ON_TIME_RATE, unitCode: "80", asOf: "2025-01-01") { value } }'],
    ['planCompliance year 0', '{ planCompliance(year: 0, asOf: "2025-01-01") { counts { units } } }'],
    ['planCompliance year 2^31-1', '{ planCompliance(year: 2147483647) { counts { units } } }'],
    ['factRevisions last 10^6', '{ factRevisions(last: 1000000) { value } }'],
    ['ingestRuns last -1', '{ ingestRuns(last: -1) { id } }'],
    ['syncSource without key', 'mutation { syncSource(code: "igate-80") { state } }'],
  ];
  const out = fixed.map(([name, query]) => op('query', name, query));
  for (let i = 0; i < 30; i++) out.push(op('query', 'random junk document', junkString(rng, 1 + rng.int(300))));
  // Random mutations of a real query: drop, duplicate or swap a character.
  const base = '{ aggregate(query: { measures: [DOSSIERS_RECEIVED, ON_TIME_RATE], groupBy: [UNIT], unitTier: PROVINCE, period: { from: "2024-01", to: "2024-12" } }) { rows { dimensions { unit { code } } measures { value } } } }';
  for (let i = 0; i < 60; i++) {
    const at = rng.int(base.length);
    const mutated = i % 3 === 0 ? base.slice(0, at) + base.slice(at + 1)
      : i % 3 === 1 ? base.slice(0, at) + base[rng.int(base.length)] + base.slice(at)
        : base.slice(0, at) + junkString(rng, 1) + base.slice(at + 1);
    out.push(op('query', 'mutated aggregate document', mutated));
  }
  return out;
}

function operationNames(): FuzzCase[] {
  const doc = 'query A { sources { code } } query B { targets { code } }';
  return [
    op('query', 'operationName unknown', doc, undefined),
    { ...op('query', 'operationName not in document', doc), request: { ...op('query', '', doc).request, body: JSON.stringify({ query: doc, operationName: 'C' }) } },
    { ...op('query', 'operationName 100 KB', doc), request: { ...op('query', '', doc).request, body: JSON.stringify({ query: doc, operationName: 'A'.repeat(100_000) }) } },
    { ...op('query', 'operationName NUL', doc), request: { ...op('query', '', doc).request, body: JSON.stringify({ query: doc, operationName: 'A\u0000' }) } },
  ];
}

export const graphqlDocumentGenerator = (ctx: FuzzContext): FuzzCase[] => [...abusive(), ...invalid(ctx), ...operationNames()];
