import { PlotFigure } from './plot-figure';
import { LABELS, Lang, TrendSeries, TrendTarget, valueFormat } from './trend-text';

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
 * as labelled dashed lines and the province merger as a rule, drawn by Observable Plot
 * (plot-figure.tsx). A hidden table holds every figure for screen readers, and stays the fallback
 * when Plot cannot load.
 */
export function TrendChart(props: {
  series: TrendSeries[]; targets?: TrendTarget[]; percent: boolean; title: string;
  mergerDate?: string; lang: 'vi' | 'en';
}) {
  const { series, targets = [], percent, title, mergerDate, lang } = props;
  const fmt = valueFormat(lang, percent);
  return (
    <PlotFigure
      className="dvc-trend-chart"
      title={title}
      lang={lang}
      drawKey={JSON.stringify([series, targets, percent, title, mergerDate, lang])}
      draw={async (width) => (await import('./plot-draw')).draw({ series, targets, percent, title, mergerDate, lang }, width)}
    >
      <FiguresTable series={series} targets={targets} title={title} fmt={fmt} lang={lang} />
    </PlotFigure>
  );
}
