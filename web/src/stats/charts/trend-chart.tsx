import { useEffect, useRef, useState } from 'react';
import { HEIGHT, LABELS, Lang, TrendSeries, TrendTarget, valueFormat } from './trend-text';

export type { TrendSeries } from './trend-text';

/** Visually hidden, still read by screen readers. */
const SR_ONLY = { position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' } as const;

/** Every figure of the chart as a table: the fallback for screen readers and when Plot cannot load. */
function FiguresTable({ series, targets, title, fmt, lang }: { series: TrendSeries[]; targets: TrendTarget[]; title: string; fmt: (v: number | null) => string; lang: Lang }) {
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

/**
 * Trends of several series (the nation, a unit) over months, quarters or years, with the targets
 * as labelled dashed lines and the province merger as a rule. Observable Plot is loaded only when
 * a chart is shown (its own chunk), so the page's first view does not wait for it; it draws into a
 * div this component owns. A hidden table holds every figure for screen readers, and stays the
 * fallback when Plot cannot load.
 */
export function TrendChart(props: {
  series: TrendSeries[]; targets?: TrendTarget[]; percent: boolean; title: string;
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
    import('./plot-draw')
      .then(({ draw }) => {
        if (cancelled) return;
        el.replaceChildren(draw({ series, targets, percent, title, mergerDate, lang }, width));
        setState('drawn');
      })
      .catch(() => {
        if (!cancelled) setState('failed');
      });
    return () => {
      cancelled = true;
    };
  }, [key, width]);

  return (
    <figure className="dvc-trend-chart" style={{ margin: '0.5rem 0', position: 'relative' }}>
      <figcaption style={{ fontWeight: 600, marginBottom: '0.3rem' }}>{title}</figcaption>
      {state !== 'drawn' && <p role="status" style={{ color: '#4a4f57', fontSize: '0.9rem' }}>{state === 'failed' ? LABELS[lang].failed : LABELS[lang].loading}</p>}
      <div ref={host} style={{ width: '100%', minHeight: HEIGHT }} />
      <FiguresTable series={series} targets={targets} title={title} fmt={fmt} lang={lang} />
    </figure>
  );
}
