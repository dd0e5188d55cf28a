import { barX, dot, plot, ruleX, text } from '@observablehq/plot';
import { IndexChartData, indexChartHeight, MARGINS } from './index-chart';
import { quietMarks } from './plot-quiet';
import { SERIES_COLOURS } from './trend-text';

/*
 * The Decision 766 index as a chart (Observable Plot, imported by name; a chunk loaded when the
 * chart is first shown): one bar per unit, its computed points stacked by group, the portal's
 * published total as a diamond on the same 0–100 scale, and a rule where the computed part ends
 * (the criteria the gateway can compute are worth `computedMax` of the 100 points).
 */
export function draw(d: IndexChartData, width: number): SVGSVGElement | HTMLElement {
  const segments = d.units.flatMap((u) => u.groups.filter((g) => g.points !== null && g.points > 0).map((g) => ({ unit: u.label, group: g.name, points: g.points as number })));
  const published = d.units.filter((u) => u.published !== null).map((u) => ({ unit: u.label, total: u.published as number }));
  const nf = new Intl.NumberFormat(d.lang === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 2 });
  const figure = plot({
    width,
    height: indexChartHeight(d.units.length),
    marginTop: MARGINS.top,
    marginBottom: MARGINS.bottom,
    marginLeft: MARGINS.left,
    marginRight: MARGINS.right,
    ariaLabel: d.title,
    ariaDescription: d.description,
    style: { fontFamily: 'system-ui, sans-serif', fontSize: '12px', color: '#1b1b1f', background: 'transparent' },
    x: { domain: [0, 100], grid: true, label: null, tickFormat: (v: number) => nf.format(v) },
    y: { domain: d.units.map((u) => u.label), label: null, tickSize: 0 },
    color: { domain: d.groups, range: SERIES_COLOURS, legend: true },
    marks: [
      barX(segments, { x: 'points', y: 'unit', fill: 'group', title: (s: { group: string; points: number }) => `${s.group}: ${nf.format(s.points)}` }),
      ruleX([d.computedMax], { stroke: '#4a4f57', strokeDasharray: '5 4' }),
      text([d.computedMaxLabel], { x: d.computedMax, frameAnchor: 'top', textAnchor: 'start', dx: 4, dy: -16, fill: '#4a4f57' }),
      dot(published, { x: 'total', y: 'unit', symbol: 'diamond', fill: '#1b1b1f', r: 3.5, title: (p: { total: number }) => nf.format(p.total) }),
    ],
  });
  return quietMarks(figure);
}
