import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, GraphQLEnumType, GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';
import { createSchema } from '../../src/server/schema';

/**
 * The product stands alone: the published schema, the docs and the code's texts never send a
 * reader to a file outside the repository, every pointer into docs/domain.md names a section that
 * exists, and each indicator's description states its formula (a ratio of sums, numerator /
 * denominator) instead of referring elsewhere for it.
 */
const ROOT = path.resolve(__dirname, '../..');
const SDL_FILE = path.join(ROOT, 'schema', 'schema.graphql');
const DOMAIN = path.join(ROOT, 'docs', 'domain.md');

const rel = (file: string) => path.relative(ROOT, file);
const read = (file: string) => fs.readFileSync(file, 'utf8');

function filesUnder(dir: string, exts: string[]): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(p, exts);
    return exts.some((x) => e.name.endsWith(x)) ? [p] : [];
  });
}

/** Texts that reach readers: the emitted SDL, the docs, README, the reference data's notes. */
const DOC_FILES = [
  path.join(ROOT, 'README.md'),
  ...filesUnder(path.join(ROOT, 'docs'), ['.md']),
  path.join(ROOT, 'data', 'reference', 'admin-units-2025', 'README.md'),
].filter((f) => fs.existsSync(f));
/** Code whose comments, descriptions and error messages must not cite outside files either. */
const CODE_FILES = [
  ...filesUnder(path.join(ROOT, 'src'), ['.ts']),
  ...filesUnder(path.join(ROOT, 'scripts'), ['.ts']),
  ...filesUnder(path.join(ROOT, 'data', 'reference'), ['.json']).filter((f) => fs.statSync(f).size < 1_000_000),
  ...filesUnder(path.join(ROOT, 'config'), ['.json']),
];

interface Problem { where: string; text: string }

/** References to places outside the repository, whatever the file: absolute workspace paths, the team's shared folder, a bare domain.md. */
function outsideReferences(where: string, text: string): Problem[] {
  const problems: Problem[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const at = `${where}:${i + 1}`;
    if (/\/work\//.test(line)) problems.push({ where: at, text: line.trim() });
    if (/(^|[^\w-])shared\//.test(line)) problems.push({ where: at, text: line.trim() });
    // domain.md is docs/domain.md; inside docs/, a Markdown link target "](domain.md…)" is relative to docs/.
    const inDocs = where.startsWith('docs/');
    for (const m of line.matchAll(/domain\.md/g)) {
      const before = line.slice(0, m.index);
      if (before.endsWith('docs/')) continue;
      if (inDocs && before.endsWith('](')) continue;
      problems.push({ where: at, text: line.trim() });
    }
  });
  return problems;
}

/** In a Markdown file: "../" paths and relative link targets must stay inside the repository (and links must exist). */
function markdownPathProblems(file: string, text: string): Problem[] {
  const problems: Problem[] = [];
  const dir = path.dirname(file);
  const inside = (target: string) => {
    const abs = path.resolve(dir, target);
    return abs === ROOT || abs.startsWith(ROOT + path.sep) ? abs : null;
  };
  text.split('\n').forEach((line, i) => {
    const at = `${rel(file)}:${i + 1}`;
    for (const m of line.matchAll(/(?:\.\.\/)+[\w.@\-/]*/g)) {
      if (!inside(m[0])) problems.push({ where: at, text: `${m[0]} leaves the repository` });
    }
    for (const m of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split('#')[0];
      if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // anchors, http(s), mailto
      const abs = inside(target);
      if (!abs) problems.push({ where: at, text: `link ${m[1]} leaves the repository` });
      else if (!fs.existsSync(abs)) problems.push({ where: at, text: `link ${m[1]}: no such file in the repository` });
    }
  });
  return problems;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s-]/gu, '').replace(/\s/g, '-');
}
const domainHeadings = () => read(DOMAIN).split('\n').filter((l) => /^#{2,3} /.test(l)).map((l) => l.replace(/^#+ /, ''));

/** Every description in a schema, with where it is. */
function descriptions(schema: GraphQLSchema): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  const add = (where: string, text: string | null | undefined) => { if (text) out.push({ where, text }); };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    add(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const f of Object.values(type.getFields())) {
        add(`${type.name}.${f.name}`, f.description);
        for (const a of f.args) add(`${type.name}.${f.name}(${a.name})`, a.description);
      }
    } else if (isInputObjectType(type)) {
      for (const f of Object.values(type.getFields())) add(`${type.name}.${f.name}`, f.description);
    } else if (isEnumType(type)) {
      for (const v of type.getValues()) add(`${type.name}.${v.name}`, v.description);
    }
  }
  return out;
}

/** What each indicator's description must say: its numerator and its denominator, in that order, around a "/". */
const INDICATOR_FORMULAS: Record<string, [numerator: string, denominator: string]> = {
  LEVEL4_SHARE: ['services at level 4', 'services in scope'],
  LEVEL34_SHARE: ['services at level 3 or 4', 'services in scope'],
  SERVICES_WITH_ONLINE_FILINGS: ['online services (level 3 or 4) with at least one dossier received online in the period', 'online services'],
  ONLINE_DOSSIER_RATE: ['dossiers received online', 'all dossiers received'],
  ON_TIME_RATE: ['dossiers resolved on time', 'dossiers resolved (on time + late)'],
  ONLINE_PAYMENT_RATE: ['dossiers whose fee was paid online', 'dossiers with a fee obligation'],
  DVCQG_INTEGRATION: ['online services (level 3 or 4) integrated on DVCQG', 'online services'],
  PLAN_ISSUED: ['units that issued their yearly online-service plan by the date', 'units expected to issue one'],
};

function formulaProblems(schema: GraphQLSchema, label: string): string[] {
  const problems: string[] = [];
  const indicator = schema.getType('Indicator') as GraphQLEnumType | undefined;
  if (!indicator) return [`${label}: no Indicator enum`];
  const values = indicator.getValues().map((v) => v.name).sort();
  if (values.join() !== Object.keys(INDICATOR_FORMULAS).sort().join()) {
    problems.push(`${label}: Indicator values ${values.join(', ')} differ from the formulas this test knows; add the new one's formula here`);
  }
  if (!/ratio of sums/i.test(indicator.description ?? '')) problems.push(`${label}: Indicator's description does not say indicators are ratios of sums`);
  for (const v of indicator.getValues()) {
    const formula = INDICATOR_FORMULAS[v.name];
    const text = (v.description ?? '').toLowerCase();
    if (!formula) continue;
    const [num, den] = formula.map((s) => s.toLowerCase());
    const n = text.indexOf(num);
    const slash = n < 0 ? -1 : text.indexOf(' / ', n + num.length);
    const d = slash < 0 ? -1 : text.indexOf(den, slash);
    if (n < 0 || slash < 0 || d < 0) problems.push(`${label}: Indicator.${v.name} should read "${num} / ${den}", got: ${v.description ?? '(none)'}`);
  }
  const measure = schema.getType('AggregateMeasure') as GraphQLEnumType | undefined;
  for (const v of measure?.getValues() ?? []) {
    if (!INDICATOR_FORMULAS[v.name]) continue; // counts, not ratios
    if (!/ratio of sums/i.test(v.description ?? '') || !(v.description ?? '').includes(' / ')) {
      problems.push(`${label}: AggregateMeasure.${v.name} should give its formula as a ratio of sums, numerator / denominator: ${v.description ?? '(none)'}`);
    }
  }
  for (const name of ['UnitKind', 'Comparison']) {
    const e = schema.getType(name) as GraphQLEnumType | undefined;
    for (const v of e?.getValues() ?? []) if (!v.description) problems.push(`${label}: ${name}.${v.name} has no description`);
  }
  return problems;
}

function sectionPointerProblems(where: string, text: string): string[] {
  const headings = domainHeadings();
  const problems: string[] = [];
  // A pointer by section title: docs/domain.md, "Title" (the title may drop the number and end early).
  for (const m of text.matchAll(/docs\/domain\.md, (?:section )?\\?"([^"\\]+)\\?"/g)) {
    if (!headings.some((h) => h.replace(/^\d+\.\s*/, '').startsWith(m[1]))) problems.push(`${where}: no section "${m[1]}" in docs/domain.md`);
  }
  // A link with an anchor: domain.md#anchor.
  for (const m of text.matchAll(/domain\.md#([\w\p{L}-]+)/gu)) {
    if (!headings.map(slug).includes(m[1])) problems.push(`${where}: no heading with anchor #${m[1]} in docs/domain.md`);
  }
  return problems;
}

describe('the schema and the docs stand alone', () => {
  let codeSchema: GraphQLSchema;
  let fileSchema: GraphQLSchema;
  beforeAll(async () => {
    codeSchema = await createSchema();
    fileSchema = buildSchema(read(SDL_FILE), { assumeValidSDL: true });
  });

  it('docs/domain.md exists and says what it is for', () => {
    const text = read(DOMAIN);
    expect(text.split('\n')[0]).toMatch(/^# /);
    expect(text.slice(0, 1200)).toMatch(/reference/i);
    for (const section of ['Administrative units', 'Procedures and services', 'Online levels', 'Filing', 'Indicators', 'Targets and plans', 'Sources']) {
      expect(domainHeadings().some((h) => h.includes(section))).toBe(true);
    }
  });

  it('no schema description refers to a file outside the repository (schema/schema.graphql and the code)', () => {
    const problems = [
      ...outsideReferences('schema/schema.graphql', read(SDL_FILE)),
      ...descriptions(codeSchema).flatMap((d) => outsideReferences(`schema ${d.where}`, d.text)),
    ];
    for (const d of descriptions(codeSchema)) {
      if (d.text.includes('../')) problems.push({ where: `schema ${d.where}`, text: d.text });
    }
    if (read(SDL_FILE).includes('../')) problems.push({ where: 'schema/schema.graphql', text: 'contains "../"' });
    expect(problems).toEqual([]);
  });

  it('no doc, comment, error message or reference note refers to a file outside the repository', () => {
    const problems = [
      ...DOC_FILES.flatMap((f) => [...outsideReferences(rel(f), read(f)), ...markdownPathProblems(f, read(f))]),
      ...CODE_FILES.flatMap((f) => outsideReferences(rel(f), read(f))),
    ];
    expect(problems).toEqual([]);
  });

  it('every pointer into docs/domain.md names a section that exists', () => {
    const problems = [
      ...sectionPointerProblems('schema/schema.graphql', read(SDL_FILE)),
      ...[...DOC_FILES, ...CODE_FILES].flatMap((f) => sectionPointerProblems(rel(f), read(f))),
    ];
    expect(problems).toEqual([]);
  });

  it('every indicator gives its formula in its own description (code and committed SDL)', () => {
    expect([...formulaProblems(codeSchema, 'code'), ...formulaProblems(fileSchema, 'schema/schema.graphql')]).toEqual([]);
  });
});
