import { PlotFigure } from './plot-figure';

/** Pixels per unit's bar (63 provinces before July 2025: about 1,100 px), and around the bars. */
const ROW_HEIGHT = 16;
export const MARGINS = { top: 28, bottom: 36, left: 200, right: 16 };

export function indexChartHeight(units: number): number {
  return units * ROW_HEIGHT + MARGINS.top + MARGINS.bottom;
}

/** What the 766 index chart draws (index-draw.ts, a chunk of its own). */
export interface IndexChartData {
  /** Units in the order drawn (by computed rank), each named as the axis shows it. */
  units: { label: string; groups: { name: string; points: number | null }[]; published: number | null }[];
  /** Group names, in the decision's order (the legend's). */
  groups: string[];
  computedMax: number;
  title: string;
  description: string;
  computedMaxLabel: string;
  /** Said when Plot could not be loaded. */
  failed: string;
  lang: 'vi' | 'en';
}

/**
 * Each unit's computed points stacked by group, the published total beside them (a diamond on the
 * same scale). Every figure is in the view's table, so the chart is one described image.
 */
export function IndexChart({ data }: { data: IndexChartData }) {
  return (
    <PlotFigure
      className="dvc-index-chart"
      title={data.title}
      lang={data.lang}
      failed={data.failed}
      // The figure keeps its height while Plot loads.
      minHeight={indexChartHeight(data.units.length)}
      drawKey={JSON.stringify(data)}
      draw={async (width) => (await import('./index-draw')).draw(data, width)}
    />
  );
}
