/**
 * A word-sized trend for a table row: plain SVG (one per unit, 63 rows: a chart library per row
 * would cost more than the table). The line breaks where a value is missing; the target, when
 * given, is a dashed line; the last value is a dot. Screen readers hear the first and last value.
 */

const WIDTH = 80;
const HEIGHT = 20;
const PAD = 2;

interface Point { label: string; value: number | null }

/** Runs of consecutive points with a value: each becomes one polyline (a gap between runs). */
function runs(points: Point[]): { i: number; v: number }[][] {
  const out: { i: number; v: number }[][] = [];
  let current: { i: number; v: number }[] = [];
  points.forEach((p, i) => {
    if (p.value === null || !Number.isFinite(p.value)) {
      if (current.length) out.push(current);
      current = [];
    } else current.push({ i, v: p.value });
  });
  if (current.length) out.push(current);
  return out;
}

/**
 * Values are fractions (as everywhere in the API), read as percentages in the page's language
 * (<html lang>) unless the caller formats them.
 */
function defaultFormat(): (v: number) => string {
  const lang = typeof document === 'undefined' ? 'vi' : document.documentElement.lang || 'vi';
  const nf = new Intl.NumberFormat(lang.startsWith('en') ? 'en-GB' : 'vi-VN', { style: 'percent', maximumFractionDigits: 1 });
  return (v) => nf.format(v);
}

/** "first label value → last label value", or that there is no value. */
function summary(points: Point[], title: string, pct: (v: number) => string): string {
  const valued = points.filter((p): p is { label: string; value: number } => p.value !== null && Number.isFinite(p.value));
  if (valued.length === 0) return `${title}: –`;
  const first = valued[0];
  const last = valued[valued.length - 1];
  return valued.length === 1 ? `${title}: ${first.label} ${pct(first.value)}` : `${title}: ${first.label} ${pct(first.value)} → ${last.label} ${pct(last.value)}`;
}

export function Sparkline({ points, target, title, formatValue }: { points: Point[]; target?: number; title: string; formatValue?: (v: number) => string }) {
  const values = points.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const domain = target === undefined ? values : [...values, target];
  const lo = domain.length ? Math.min(...domain) : 0;
  const hi = domain.length ? Math.max(...domain) : 1;
  const span = hi - lo || 1;
  const x = (i: number) => (points.length <= 1 ? WIDTH / 2 : PAD + (i * (WIDTH - 2 * PAD)) / (points.length - 1));
  const y = (v: number) => (hi === lo ? HEIGHT / 2 : HEIGHT - PAD - ((v - lo) * (HEIGHT - 2 * PAD)) / span);
  const segments = runs(points);
  const last = segments.at(-1)?.at(-1);
  return (
    <svg width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary(points, title, formatValue ?? defaultFormat())} style={{ verticalAlign: 'middle', overflow: 'visible' }}>
      {target !== undefined && <line x1={0} x2={WIDTH} y1={y(target)} y2={y(target)} stroke="#767b84" strokeWidth={1} strokeDasharray="3 2" />}
      {segments.map((run) =>
        run.length === 1 ? (
          <circle key={run[0].i} cx={x(run[0].i)} cy={y(run[0].v)} r={1.5} fill="#0b4f9c" />
        ) : (
          <polyline key={run[0].i} points={run.map((p) => `${x(p.i).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ')} fill="none" stroke="#0b4f9c" strokeWidth={1.5} strokeLinejoin="round" />
        ),
      )}
      {last && <circle cx={x(last.i)} cy={y(last.v)} r={2} fill="#0b4f9c" />}
    </svg>
  );
}
