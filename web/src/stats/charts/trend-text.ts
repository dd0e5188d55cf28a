/** Text, number formats and palette shared by the trend chart and its Plot drawing (a chunk loaded later). */

export type Lang = 'vi' | 'en';
export interface TrendSeries { name: string; points: { label: string; start: string /* YYYY-MM-DD */; value: number | null }[] }
export interface TrendTarget { label: string; value: number }

export const LABELS = {
  vi: {
    merger: 'Sáp nhập tỉnh 1/7/2025',
    reorganised: (day: string) => `Sắp xếp lại đơn vị ${day}`,
    loading: 'Đang tải biểu đồ…',
    failed: 'Không vẽ được biểu đồ; số liệu có trong bảng dưới đây.',
    period: 'Kỳ',
    targets: 'Mục tiêu',
    noValue: 'không có số liệu',
    describe: (series: number, from: string, to: string) => `${series} chuỗi số liệu, từ ${from} đến ${to}.`,
    targetLine: (label: string, value: string) => `Đường mục tiêu ${label}: ${value}.`,
    mergerLine: (label: string) => `Đường dọc đánh dấu: ${label}.`,
    table: 'Số liệu của biểu đồ',
  },
  en: {
    merger: 'Province merger 1 Jul 2025',
    reorganised: (day: string) => `Units reorganised ${day}`,
    loading: 'Loading the chart…',
    failed: 'The chart could not be drawn; its figures are in the table below.',
    period: 'Period',
    targets: 'Targets',
    noValue: 'no data',
    describe: (series: number, from: string, to: string) => `${series} series, from ${from} to ${to}.`,
    targetLine: (label: string, value: string) => `Target line ${label}: ${value}.`,
    mergerLine: (label: string) => `A vertical rule marks: ${label}.`,
    table: 'Figures of the chart',
  },
} satisfies Record<Lang, unknown>;

/**
 * Line colours: dark enough for 3:1 against white (WCAG non-text contrast) and told apart by the
 * common colour-vision deficiencies (blue, orange, green, purple, near-black, red); each series is
 * also named in the legend and the tip, and the table below holds every figure.
 */
export const SERIES_COLOURS = ['#0b4f9c', '#b35c00', '#1d6b35', '#8e3b8e', '#1b1b1f', '#a61b1b'];
export const HEIGHT = 320;


export const utcDate = (iso: string) => new Date(`${iso}T00:00:00Z`);

export function valueFormat(lang: Lang, percent: boolean): (v: number | null) => string {
  const nf = new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', percent ? { style: 'percent', maximumFractionDigits: 1 } : { maximumFractionDigits: 2 });
  return (v) => (v === null || !Number.isFinite(v) ? LABELS[lang].noValue : nf.format(v));
}


/** The text a screen reader gets for the SVG: how many series over which periods, the targets, the merger rule. */
export function description(series: TrendSeries[], targets: TrendTarget[], merger: string | undefined, fmt: (v: number | null) => string, lang: Lang): string {
  const t = LABELS[lang];
  const labels = series.flatMap((s) => s.points).sort((a, b) => a.start.localeCompare(b.start));
  const parts = [labels.length ? t.describe(series.length, labels[0].label, labels[labels.length - 1].label) : ''];
  for (const target of targets) parts.push(t.targetLine(target.label, fmt(target.value)));
  if (merger) parts.push(t.mergerLine(merger));
  return parts.filter(Boolean).join(' ');
}


/** The province reform's day: its rule carries the label the page's readers know. */
export const PROVINCE_MERGER = '2025-07-01';

/** The rule's label: the province merger by name, another reorganisation (the ministries', 1 March 2025) by its date. */
export function mergerLabel(mergerDate: string, lang: Lang): string {
  if (mergerDate === PROVINCE_MERGER) return LABELS[lang].merger;
  const d = utcDate(mergerDate);
  const day = lang === 'vi' ? `${d.getUTCDate()}/${d.getUTCMonth() + 1}/${d.getUTCFullYear()}` : new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
  return LABELS[lang].reorganised(day);
}

/** Targets at the same value share one line and one label ("A, B"): labels drawn on top of each other cannot be read. */
export function mergeTargets(targets: TrendTarget[]): TrendTarget[] {
  const byValue = new Map<number, string[]>();
  for (const t of targets) byValue.set(t.value, [...(byValue.get(t.value) ?? []), t.label]);
  return [...byValue].map(([value, labels]) => ({ value, label: labels.join(', ') }));
}
