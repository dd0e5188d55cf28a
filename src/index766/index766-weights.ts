import { AggregateMeasure, MEASURES } from '../aggregates/measures';
import { readJson } from '../reference/reference-data.service';
import { UnitKind } from '../units/unit.entity';

/** The tiers the index ranks: provinces and ministries (the decision evaluates them, and the national portal publishes their scores). */
export const INDEX766_TIERS: readonly UnitKind[] = [UnitKind.PROVINCE, UnitKind.MINISTRY];

/** A criterion's rate: one of the engine's ratio measures, or a ratio of two count measures. */
export type CriterionSource = { measure: string } | { numerator: string; denominator: string };

export interface CriterionWeight {
  code: string; name: string; maxPoints: number; pointsConfirmed: boolean; rule: 'linear';
  source: CriterionSource | null; notSupported?: string;
}
export interface GroupWeight { code: string; name: string; nameEn: string; maxPoints: number; criteria: CriterionWeight[] }
export interface Index766Weights { decision: { number: string; date: string }; groups: GroupWeight[] }

const MEASURE_VALUES = new Set<string>(Object.values(AggregateMeasure));

/**
 * The weights of data/reference/index-766.json, checked: every group's criteria add up to its
 * maximum, the groups to 100, each criterion has a known rule and either a source of the engine's
 * measures or the reason it is not supported. Read on each call (a few kilobytes): a revision of
 * the file needs no code and no restart.
 */
export function loadIndex766Weights(file = 'index-766.json'): Index766Weights {
  const w = readJson<Index766Weights>(file);
  const bad: string[] = [];
  let total = 0;
  for (const g of w.groups) {
    total += g.maxPoints;
    const sum = g.criteria.reduce((s, c) => s + c.maxPoints, 0);
    if (Math.abs(sum - g.maxPoints) > 1e-9) bad.push(`group ${g.code}: criteria add up to ${sum}, not ${g.maxPoints}`);
    for (const c of g.criteria) {
      if (c.rule !== 'linear') bad.push(`criterion ${c.code}: unknown rule ${String(c.rule)}`);
      if (c.source === null && !c.notSupported) bad.push(`criterion ${c.code}: no source and no notSupported reason`);
      const names = c.source === null ? [] : 'measure' in c.source ? [c.source.measure] : [c.source.numerator, c.source.denominator];
      for (const m of names) if (!MEASURE_VALUES.has(m)) bad.push(`criterion ${c.code}: unknown measure ${m}`);
      if (c.source && 'measure' in c.source && MEASURE_VALUES.has(c.source.measure) && !MEASURES[c.source.measure as AggregateMeasure].denominator) {
        bad.push(`criterion ${c.code}: ${c.source.measure} is not a ratio`);
      }
    }
  }
  if (Math.abs(total - 100) > 1e-9) bad.push(`groups add up to ${total}, not 100`);
  if (bad.length > 0) throw new Error(`data/reference/${file}: ${bad.join('; ')}`);
  return w;
}

/** The component a published score names besides the groups: the whole index. */
export const TOTAL_COMPONENT = 'total';

/** The components a published score may name (the groups' codes and `total`), each with its maximum. */
export function scoreComponents(weights: Index766Weights = loadIndex766Weights()): Map<string, number> {
  return new Map<string, number>([...weights.groups.map((g): [string, number] => [g.code, g.maxPoints]), [TOTAL_COMPONENT, 100]]);
}
