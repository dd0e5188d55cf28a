import { lazy } from 'react';
import type { ComponentType } from 'react';

/**
 * The viz helper's components (web/src/stats/map, web/src/stats/charts), each a chunk of its own:
 * the first view's table does not wait for them (nor for Observable Plot behind the charts).
 * Their props are the shared contract's.
 */
export type Status = 'MET' | 'MISSED' | 'NOT_IN_FORCE' | 'NO_DATA';
export interface TileDatum { code: string; name: string; value: number | null; status?: Status }
export interface TileMapProps {
  tiles: TileDatum[];
  layout: '63' | '34';
  formatValue: (v: number | null) => string;
  title: string;
  lang: 'vi' | 'en';
  selected?: string;
  onSelect?: (code: string) => void;
}
export interface SparklineProps { points: { label: string; value: number | null }[]; target?: number; title: string }
export interface TrendSeries { name: string; points: { label: string; start: string; value: number | null }[] }
export interface TrendChartProps {
  series: TrendSeries[];
  targets?: { label: string; value: number }[];
  percent: boolean;
  title: string;
  mergerDate?: string;
  lang: 'vi' | 'en';
}

// Until the viz components land: nothing drawn (the tables carry every figure).
const pending = <P,>() => lazy(async () => ({ default: (() => null) as ComponentType<P> }));

export const TileMap = pending<TileMapProps>();
export const Sparkline = pending<SparklineProps>();
export const TrendChart = pending<TrendChartProps>();
