import { useEffect, useRef, useState } from 'react';

export interface TrendSeries { name: string; points: { label: string; start: string /* YYYY-MM-DD */; value: number | null }[] }
type Lang = 'vi' | 'en';

const LABELS = {
  vi: {
    merger: 'Sáp nhập tỉnh 1/7/2025',
    loading: 'Đang tải biểu đồ…',
    failed: 'Không vẽ được biểu đồ; số liệu có trong bảng dưới đây.',
    period: 'Kỳ',
    targets: 'Mục tiêu',
    noValue: 'không có số liệu',
    describe: (series: number, from: string, to: string) => `${series} chuỗi số liệu, từ ${from} đến ${to}.`,
    targetLine: (label: string, value: string) => `Đường mục tiêu ${label}: ${value}.`,
    mergerLine: 'Đường dọc đánh dấu ngày sáp nhập tỉnh 1/7/2025.',
    table: 'Số liệu của biểu đồ',
  },
  en: {
    merger: 'Province merger 1 Jul 2025',
    loading: 'Loading the chart…',
    failed: 'The chart could not be drawn; its figures are in the table below.',
    period: 'Period',
    targets: 'Targets',
    noValue: 'no data',
    describe: (series: number, from: string, to: string) => `${series} series, from ${from} to ${to}.`,
    targetLine: (label: string, value: string) => `Target line ${label}: ${value}.`,
    mergerLine: 'A vertical rule marks the province merger of 1 July 2025.',
    table: 'Figures of the chart',
  },
} satisfies Record<Lang, unknown>;

/**
 * Line colours: dark enough for 3:1 against white (WCAG non-text contrast) and told apart by the
 * common colour-vision deficiencies (blue, orange, green, purple, near-black, red); each series is
 * also named in the legend and the tip, and the table below holds every figure.
 */
const SERIES_COLOURS = ['#0b4f9c', '#b35c00', '#1d6b35', '#8e3b8e', '#1b1b1f', '#a61b1b'];
const HEIGHT = 320;

/** Visually hidden, still read by screen readers. */
const SR_ONLY = { position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' } as const;

interface Row { series: string; date: Date; label: string; value: number | null }

const utcDate = (iso: string) => new Date(`${iso}T00:00:00Z`);

function valueFormat(lang: Lang, percent: boolean): (v: number | null) => string {
  const nf = new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', percent ? { style: 'percent', maximumFractionDigits: 1 } : { maximumFractionDigits: 2 });
  return (v) => (v === null || !Number.isFinite(v) ? LABELS[lang].noValue : nf.format(v));
}

function flatten(series: TrendSeries[]): Row[] {
  return series.flatMap((s) => s.points.map((p) => ({ series: s.name, date: utcDate(p.start), label: p.label, value: p.value })));
}

/** The text a screen reader gets for the SVG: how many series over which periods, the targets, the merger rule. */
function description(series: TrendSeries[], targets: { label: string; value: number }[], merger: boolean, fmt: (v: number | null) => string, lang: Lang): string {
  const t = LABELS[lang];
  const labels = series.flatMap((s) => s.points).sort((a, b) => a.start.localeCompare(b.start));
  const parts = [labels.length ? t.describe(series.length, labels[0].label, labels[labels.length - 1].label) : ''];
  for (const target of targets) parts.push(t.targetLine(target.label, fmt(target.value)));
  if (merger) parts.push(t.mergerLine);
  return parts.filter(Boolean).join(' ');
}

/** Every figure of the chart as a table: the fallback for screen readers and when Plot cannot load. */
function FiguresTable({ series, targets, title, fmt, lang }: { series: TrendSeries[]; targets: { label: string; value: number }[]; title: string; fmt: (v: number | null) => string; lang: Lang }) {
  const t = LABELS[lang];
  const periods = new Map<string, string>();
  for (const s of series) for (const p of s.points) periods.set(p.start, p.label);
  const starts = [...periods.keys()].sort();
  const valueAt = (s: TrendSeries, start: string) => s.points.find((p) => p.start === start)?.value ?? null;
  return (
    <table style={SR_ONLY}>
      <caption>{`${t.table}: ${title}`}</caption>
      <thead>
        <tr>
          <th scope="col">{t.period}</th>
          {series.map((s) => <th key={s.name} scope="col">{s.name}</th>)}
        </tr>
      </thead>
      <tbody>
        {starts.map((start) => (
          <tr key={start}>
            <th scope="row">{periods.get(start)}</th>
            {series.map((s) => <td key={s.name}>{fmt(valueAt(s, start))}</td>)}
          </tr>
        ))}
        {targets.map((target) => (
          <tr key={`target-${target.label}`}>
            <th scope="row">{`${t.targets}: ${target.label}`}</th>
            <td colSpan={Math.max(1, series.length)}>{fmt(target.value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type PlotModule = typeof import('@observablehq/plot');

/** The chart's SVG (or figure with legend), drawn by Observable Plot. */
function draw(Plot: PlotModule, props: { series: TrendSeries[]; targets: { label: string; value: number }[]; percent: boolean; title: string; mergerDate?: string; lang: Lang }, width: number): SVGSVGElement | HTMLElement {
  const { series, targets, percent, title, mergerDate, lang } = props;
  const t = LABELS[lang];
  const fmt = valueFormat(lang, percent);
  const rows = flatten(series);
  const valued = rows.filter((r): r is Row & { value: number } => r.value !== null && Number.isFinite(r.value));
  const dates = rows.map((r) => r.date.getTime());
  const merger = mergerDate ? utcDate(mergerDate) : undefined;
  // The rule only inside the periods shown: outside, it would stretch the axis to reach it.
  const showMerger = !!merger && dates.length > 0 && merger.getTime() >= Math.min(...dates) && merger.getTime() <= Math.max(...dates);
  return Plot.plot({
    width,
    height: HEIGHT,
    marginRight: 16,
    marginTop: 28,
    ariaLabel: title,
    ariaDescription: description(series, targets, showMerger, fmt, lang),
    style: { fontFamily: 'system-ui, sans-serif', fontSize: '12px', color: '#1b1b1f', background: 'transparent' },
    x: { type: 'utc', label: null },
    y: { percent, grid: true, label: null, tickFormat: percent ? (v: number) => `${new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB').format(v)}%` : undefined },
    color: { domain: series.map((s) => s.name), range: SERIES_COLOURS, legend: series.length > 1 },
    marks: [
      ...targets.map((target) => Plot.ruleY([target.value], { stroke: '#4a4f57', strokeDasharray: '5 4' })),
      Plot.text(targets, { y: 'value', text: (d: { label: string; value: number }) => `${d.label} (${fmt(d.value)})`, frameAnchor: 'left', textAnchor: 'start', dx: 4, dy: -7, fill: '#4a4f57' }),
      ...(showMerger && merger
        ? [
            Plot.ruleX([merger], { stroke: '#a61b1b', strokeWidth: 1.5 }),
            Plot.text([t.merger], { x: merger, text: (d: string) => d, frameAnchor: 'top', textAnchor: 'start', dx: 4, dy: -16, fill: '#a61b1b', fontWeight: 600 }),
          ]
        : []),
      // Missing values break the line (Plot skips undefined y and starts a new segment).
      Plot.lineY(rows, { x: 'date', y: (r: Row) => (r.value === null ? undefined : r.value), z: 'series', stroke: 'series', strokeWidth: 2 }),
      // Dots too, so a value between two gaps still shows.
      Plot.dot(valued, { x: 'date', y: 'value', fill: 'series', r: 2.5 }),
      Plot.tip(valued, Plot.pointer({ x: 'date', y: 'value', stroke: 'series', title: (r: Row) => `${r.series}\n${r.label}: ${fmt(r.value)}` })),
    ],
  });
}

/**
 * Trends of several series (the nation, a unit) over months, quarters or years, with the targets
 * as labelled dashed lines and the province merger as a rule. Observable Plot is loaded only when
 * a chart is shown (its own chunk), so the page's first view does not wait for it; it draws into a
 * div this component owns. A hidden table holds every figure for screen readers, and stays the
 * fallback when Plot cannot load.
 */
export function TrendChart(props: {
  series: TrendSeries[]; targets?: { label: string; value: number }[]; percent: boolean; title: string;
  mergerDate?: string; lang: 'vi' | 'en';
}) {
  const { series, targets = [], percent, title, mergerDate, lang } = props;
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'drawn' | 'failed'>('loading');
  const [width, setWidth] = useState(0);
  const fmt = valueFormat(lang, percent);

  // The chart follows its container's width.
  useEffect(() => {
    const el = host.current;
    if (!el) return undefined;
    setWidth(el.clientWidth);
    const observer = new ResizeObserver(([entry]) => setWidth(Math.round(entry.contentRect.width)));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Plot's data must not change identity on each render for this to draw once per change: the key is the content.
  const key = JSON.stringify([series, targets, percent, title, mergerDate, lang]);
  useEffect(() => {
    const el = host.current;
    if (!el || width === 0) return undefined;
    let cancelled = false;
    import('@observablehq/plot')
      .then((Plot) => {
        if (cancelled) return;
        el.replaceChildren(draw(Plot, { series, targets, percent, title, mergerDate, lang }, width));
        setState('drawn');
      })
      .catch(() => {
        if (!cancelled) setState('failed');
      });
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, width]);

  return (
    <figure className="dvc-trend" style={{ margin: '0.5rem 0', position: 'relative' }}>
      <figcaption style={{ fontWeight: 600, marginBottom: '0.3rem' }}>{title}</figcaption>
      {state !== 'drawn' && <p role="status" style={{ color: '#4a4f57', fontSize: '0.9rem' }}>{state === 'failed' ? LABELS[lang].failed : LABELS[lang].loading}</p>}
      <div ref={host} style={{ width: '100%', minHeight: HEIGHT }} />
      <FiguresTable series={series} targets={targets} title={title} fmt={fmt} lang={lang} />
    </figure>
  );
}
