import { dot, lineY, plot, pointer, ruleX, ruleY, text, tip } from '@observablehq/plot';
import { quietMarks } from './plot-quiet';
import { description, HEIGHT, Lang, mergeTargets, mergerLabel, SERIES_COLOURS, TrendSeries, TrendTarget, utcDate, valueFormat } from './trend-text';

/*
 * Observable Plot, imported by name so that the bundler keeps only what these marks need (87 KB
 * gzipped instead of 130 KB for the whole namespace); this module is its own chunk, loaded when a
 * trend chart is first shown.
 */

interface Row { series: string; date: Date; label: string; value: number | null }

/** Up to this many periods, each gets a tick with its own label; beyond, Plot's month ticks. */
const LABELLED_PERIODS = 12;

/** A period start (YYYY-MM-DD) as a count of months. */
const monthIndex = (start: string) => Number(start.slice(0, 4)) * 12 + Number(start.slice(5, 7)) - 1;

/**
 * Months from one period to the next (1, 3 or 12): the smallest gap between the starts shown, or,
 * with a single period, what its label says ("2025", "2025-Q2", else a month).
 */
function stepMonths(series: TrendSeries[]): number {
  const points = series.flatMap((s) => s.points);
  const months = [...new Set(points.map((p) => monthIndex(p.start)))].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < months.length; i++) step = Math.min(step, months[i] - months[i - 1]);
  if (Number.isFinite(step)) return step;
  const label = points[0]?.label ?? '';
  return /^\d{4}$/.test(label) ? 12 : /Q\d/.test(label) ? 3 : 1;
}

/**
 * The periods on the time axis. Each point sits at the middle of its period, so that a year, which
 * straddles the merger of 1 July, is drawn across the merger's rule rather than before it.
 */
function periodAxis(series: TrendSeries[]) {
  const step = stepMonths(series);
  const startOf = (m: number) => new Date(Date.UTC(Math.floor(m / 12), m % 12, 1));
  const middle = (start: string) => new Date((startOf(monthIndex(start)).getTime() + startOf(monthIndex(start) + step).getTime()) / 2);
  const rows: Row[] = series.flatMap((s) => s.points.map((p) => ({ series: s.name, date: middle(p.start), label: p.label, value: p.value })));
  const labels = new Map(rows.map((r) => [r.date.getTime(), r.label]));
  const starts = series.flatMap((s) => s.points.map((p) => monthIndex(p.start)));
  const first = starts.length ? startOf(Math.min(...starts)).getTime() : NaN;
  const end = starts.length ? startOf(Math.max(...starts) + step).getTime() : NaN;
  return {
    rows,
    /** Whether a day falls within the periods shown (from the first start to the last period's end). */
    covers: (day: Date) => day.getTime() >= first && day.getTime() <= end,
    /** Where a day sits between the first and last point (0 to 1), to keep a label inside the frame. */
    fraction: (day: Date) => {
      const times = [...labels.keys()];
      const lo = Math.min(...times);
      const hi = Math.max(...times);
      return hi > lo ? (day.getTime() - lo) / (hi - lo) : 0.5;
    },
    /** A few periods: a tick each, named by its label; many: month ticks. */
    ticks: labels.size <= LABELLED_PERIODS ? [...labels.keys()].sort((a, b) => a - b).map((t) => new Date(t)) : undefined,
    labelOf: (d: Date) => labels.get(d.getTime()) ?? '',
  };
}

/** The chart's SVG (or figure with legend), drawn by Observable Plot. */
export function draw(props: { series: TrendSeries[]; targets: TrendTarget[]; percent: boolean; title: string; mergerDate?: string; lang: Lang }, width: number): SVGSVGElement | HTMLElement {
  const { series, percent, title, mergerDate, lang } = props;
  const targets = mergeTargets(props.targets);
  const fmt = valueFormat(lang, percent);
  const axis = periodAxis(series);
  const rows = axis.rows;
  const valued = rows.filter((r): r is Row & { value: number } => r.value !== null && Number.isFinite(r.value));
  const merger = mergerDate ? utcDate(mergerDate) : undefined;
  // The rule only within the periods shown: outside, it would stretch the axis to reach it.
  const showMerger = !!merger && axis.covers(merger);
  // Near the right edge, the merger's label goes to the left of its rule so it is not cut off.
  const mergerAtRight = showMerger && merger ? axis.fraction(merger) > 0.7 : false;
  const figure = plot({
    width,
    height: HEIGHT,
    marginRight: 16,
    marginTop: 28,
    marginBottom: 40,
    ariaLabel: title,
    ariaDescription: description(series, targets, showMerger && mergerDate ? mergerLabel(mergerDate, lang) : undefined, fmt, lang),
    style: { fontFamily: 'system-ui, sans-serif', fontSize: '12px', color: '#1b1b1f', background: 'transparent' },
    x: axis.ticks ? { type: 'utc', label: null, ticks: axis.ticks, tickFormat: axis.labelOf } : { type: 'utc', label: null, tickFormat: monthTick(lang) },
    y: { percent, grid: true, label: null, tickFormat: percent ? (v: number) => `${new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB').format(v)}%` : undefined },
    color: { domain: series.map((s) => s.name), range: SERIES_COLOURS, legend: series.length > 1 },
    marks: [
      ruleY(targets, { y: 'value', stroke: '#4a4f57', strokeDasharray: '5 4' }),
      text(targets, { y: 'value', text: (d: TrendTarget) => `${d.label} (${fmt(d.value)})`, frameAnchor: 'left', textAnchor: 'start', dx: 4, dy: -7, fill: '#4a4f57' }),
      ...(showMerger && merger && mergerDate
        ? [
            ruleX([merger], { stroke: '#a61b1b', strokeWidth: 1.5 }),
            text([mergerLabel(mergerDate, lang)], { x: merger, text: (d: string) => d, frameAnchor: 'top', textAnchor: mergerAtRight ? 'end' : 'start', dx: mergerAtRight ? -4 : 4, dy: -16, fill: '#a61b1b', fontWeight: 600 }),
          ]
        : []),
      // Missing values break the line (Plot skips undefined y and starts a new segment).
      lineY(rows, { x: 'date', y: (r: Row) => (r.value === null ? undefined : r.value), z: 'series', stroke: 'series', strokeWidth: 2 }),
      // Dots too, so a value between two gaps still shows.
      dot(valued, { x: 'date', y: 'value', fill: 'series', r: 2.5 }),
      tip(valued, pointer({ x: 'date', y: 'value', stroke: 'series', title: (r: Row) => `${r.series}\n${r.label}: ${fmt(r.value)}` })),
    ],
  });
  return quietMarks(figure);
}

/** Month ticks in the reader's language, the year under the first tick and under each January. */
function monthTick(lang: Lang): (d: Date, i: number) => string {
  const month = new Intl.DateTimeFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', { month: 'short', timeZone: 'UTC' });
  return (d, i) => {
    const name = lang === 'vi' ? `T${d.getUTCMonth() + 1}` : month.format(d);
    return i === 0 || d.getUTCMonth() === 0 ? `${name}\n${d.getUTCFullYear()}` : name;
  };
}

