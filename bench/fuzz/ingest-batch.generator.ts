import { bearer, FuzzCase, FuzzContext, JSON_HEADERS, junkString, op } from './fuzz-case';

/**
 * Ingest pushes (the `ingest` mutation with an API key) whose batches carry bad rows or bad keys:
 * negative, fractional, huge and inconsistent counts, future and impossible months, unknown
 * units and procedures, duplicate keys, NUL and control characters, another province's units,
 * the catalogue without the right, and big batches with a few bad rows hidden in them.
 */
const INGEST = 'mutation($batch: IngestBatchInput!) { ingest(batch: $batch) { rowsRead rowsWritten run { id status } } }';

/** A filing row of new Tây Ninh (80) that passes every rule. */
function goodFiling(procedure: string, month = '2025-09'): Record<string, unknown> {
  return { unit: '80', procedure, month, received: 10, receivedOnline: 6, receivedPostal: 1, resolvedOnTime: 8, resolvedLate: 1, withFee: 4, paidOnline: 2, syncedNational: 5 };
}

function badFilings(ctx: FuzzContext, procedure: string): Record<string, unknown>[] {
  const { rng } = ctx;
  const g = () => goodFiling(procedure);
  const rows: Record<string, unknown>[] = [
    { ...g(), received: -1 }, { ...g(), receivedOnline: -5 }, { ...g(), received: 1.5 }, { ...g(), received: 2 ** 31 },
    { ...g(), received: 1e20 }, { ...g(), received: '10' }, { ...g(), received: null }, { ...g(), receivedOnline: 11 },
    { ...g(), resolvedOnTime: 9, resolvedLate: 9 }, { ...g(), paidOnline: 5 }, { ...g(), syncedNational: 11 }, { ...g(), withFee: 11 },
    { ...g(), month: '2099-01' }, { ...g(), month: '2030-01' }, { ...g(), month: '0000-01' }, { ...g(), month: '99999-01' },
    { ...g(), month: '2025-13' }, { ...g(), month: '2025-00' }, { ...g(), month: '2025-1' }, { ...g(), month: '' },
    { ...g(), month: '2025-09\u0000' }, { ...g(), unit: '72' }, { ...g(), unit: '01' }, { ...g(), unit: 'zz' }, { ...g(), unit: '' },
    { ...g(), unit: '8\u00000' }, { ...g(), procedure: 'NOPE' }, { ...g(), procedure: junkString(rng, 30) }, { ...g(), procedure: 'x'.repeat(100_000) },
    { ...g(), unit: '80', month: '2020-01' }, // old Long An's code in 2020: the key covers 80, so this is allowed or refused by date
    { received: 1 }, {}, { ...g(), extra: 'field' }, { ...g(), received: 0, receivedOnline: 0, resolvedOnTime: 0, resolvedLate: 0, withFee: 0, paidOnline: 0, syncedNational: 0, month: '1945-01' },
  ];
  return rows;
}

function cases(ctx: FuzzContext, procedures: string[]): FuzzCase[] {
  const { rng } = ctx;
  const procedure = procedures[0] ?? '1.000000';
  const out: FuzzCase[] = [];
  const push = (name: string, batch: unknown, key = ctx.provinceKey) => out.push(op('ingest', name, INGEST, { batch }, bearer(key)));
  for (const row of badFilings(ctx, procedure)) push('one bad filing row', { filings: [row] });
  // A big batch with a few bad rows somewhere in it: the whole batch must be refused.
  for (let i = 0; i < 8; i++) {
    const rows = Array.from({ length: 2000 }, (_, k) => goodFiling(procedures[k % Math.max(1, procedures.length)] ?? procedure, `20${rng.between(19, 24)}-${String(1 + (k % 12)).padStart(2, '0')}`));
    const bad = badFilings(ctx, procedure);
    for (let j = 0; j < 3; j++) rows[rng.int(rows.length)] = rng.pick(bad);
    push('2,000 rows, 3 bad (whole batch refused)', { filings: rows });
  }
  push('duplicate keys in a batch', { filings: [goodFiling(procedure, '2025-08'), goodFiling(procedure, '2025-08')] });
  push('empty batch', {});
  push('empty sections', { filings: [], plans: [], services: [] });
  push('sections null', { filings: null, plans: null });
  push('batch is a list', [goodFiling(procedure)]);
  push('batch is a string', 'filings');
  push('unknown section', { dossiers: [{}] });
  push('over MAX_BATCH_ROWS-like size (250,000 tiny rows)', { filings: Array.from({ length: 250_000 }, () => ({})) });
  const badServices: unknown[] = [
    { unit: '80', procedure, taxonomy: 'decree99', level: '4', from: '2025-09-01' },
    { unit: '80', procedure, taxonomy: 'decree43', level: 'full', from: '2025-09-01' },
    { unit: '80', procedure, taxonomy: 'decree42', level: '4', from: '2025-09-01' },
    { unit: '80', procedure, taxonomy: 'decree42', level: 'full', from: '2025-02-30' },
    { unit: '80', procedure, taxonomy: 'decree42', level: 'full', from: '0000-01-01' },
    { unit: '80', procedure, taxonomy: 'decree42', level: 'full', from: '99999-01-01' },
    { unit: '80', procedure, taxonomy: 'decree42', level: 'full', from: '2099-01-01' },
    { unit: '80', procedure, taxonomy: 'decree42', level: '\u0000', from: '2025-09-01' },
    { unit: '80', procedure, taxonomy: 'DECREE42', level: 'FULL', from: '2025-09-01', integratedNational: 'yes' },
  ];
  for (const s of badServices) push('bad service level row', { services: [s] });
  const badPlans: unknown[] = [
    { unit: '80', year: 0 }, { unit: '80', year: -2025 }, { unit: '80', year: 99999 }, { unit: '80', year: 2 ** 31 - 1 }, { unit: '80', year: 2026, issuedOn: '2026-02-30' },
    { unit: '80', year: 2026, dueOn: '0000-00-00' }, { unit: '80', year: 2026, title: 'x'.repeat(200_000) }, { unit: '80', year: 2026, documentNumber: '\u0000\u0001' },
    { unit: '01', year: 2026 }, { unit: '80', year: 2026, issuedOn: '2026-01-01T00:00:00Z' },
  ];
  for (const p of badPlans) push('bad plan row', { plans: [p] });
  // The catalogue needs --catalogue; the province key has not got it.
  push('catalogue without the right', { sectors: [{ code: 'S1', name: 'x' }], procedures: [{ code: 'P1', name: 'x', sector: 'S1', tier: 'province' }] });
  push('bad procedure tier (national key)', { sectors: [{ code: 'S1', name: 'x' }], procedures: [{ code: 'P1', name: 'x', sector: 'S1', tier: 'galaxy' }] }, ctx.nationalKey);
  push('procedure of unknown sector (national key)', { procedures: [{ code: 'P2', name: 'x', sector: 'NOPE', tier: 'province' }] }, ctx.nationalKey);
  push('sector code with NUL (national key)', { sectors: [{ code: 'S\u0000', name: '\u0000' }] }, ctx.nationalKey);
  push('sector code 100 KB (national key)', { sectors: [{ code: 'S'.repeat(100_000), name: 'x' }] }, ctx.nationalKey);
  // Bad keys.
  const good = { filings: [goodFiling(procedure)] };
  const keyCases: [string, [string, string][]][] = [
    ['no Authorization', JSON_HEADERS],
    ['Authorization empty', [...JSON_HEADERS, ['Authorization', '']]],
    ['Basic scheme', [...JSON_HEADERS, ['Authorization', 'Basic dXNlcjpwYXNz']]],
    ['Bearer without key', [...JSON_HEADERS, ['Authorization', 'Bearer ']]],
    ['Bearer wrong key of right shape', bearer(`dvc_${'0'.repeat(12)}_${'A'.repeat(43)}`)],
    ['Bearer right prefix, wrong secret', bearer(ctx.provinceKey.slice(0, -4) + 'AAAA')],
    ['Bearer key with NUL', bearer(`${ctx.provinceKey}\u0000`)],
    ['Bearer key 10 KB', bearer('dvc_' + 'a'.repeat(10_000))],
    ['Bearer junk', bearer(junkString(rng, 40).replace(/[\r\n\u0000-\u001f\u007f-\uffff]/g, 'x'))],
    ['two Authorization headers', [...bearer(ctx.provinceKey), ['Authorization', 'Bearer nope']]],
    ['bearer lower-case with tabs', [...JSON_HEADERS, ['Authorization', `bearer\t${ctx.provinceKey}`]]],
    ['Bearer key twice', bearer(`${ctx.provinceKey} ${ctx.provinceKey}`)],
    ['Bearer SQL', bearer("dvc_' OR 1=1 --_x")],
  ];
  for (const [name, headers] of keyCases) out.push(op('ingest', `bad key: ${name}`, INGEST, { batch: good }, headers));
  out.push(op('ingest', 'read with a wrong key', '{ sources { code } }', undefined, bearer('dvc_nope')));
  out.push(op('ingest', 'syncSource with a province key', 'mutation { syncSource(code: "igate-80") { state } }', undefined, bearer(ctx.provinceKey)));
  out.push(op('ingest', 'syncSource unknown source', 'mutation { syncSource(code: "\u0000nope") { state } }', undefined, bearer(ctx.nationalKey)));
  return out;
}

export const ingestBatchGenerator = (procedures: string[]) => (ctx: FuzzContext): FuzzCase[] => cases(ctx, procedures);
