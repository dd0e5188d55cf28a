import { lazy } from 'react';

/**
 * The viz helper's components (web/src/stats/map, web/src/stats/charts), each a chunk of its own:
 * the first view's table does not wait for them (nor for Observable Plot behind the trend chart).
 */
export const TileMap = lazy(() => import('./map/tile-map').then((m) => ({ default: m.TileMap })));
export const Sparkline = lazy(() => import('./charts/sparkline').then((m) => ({ default: m.Sparkline })));
export const TrendChart = lazy(() => import('./charts/trend-chart').then((m) => ({ default: m.TrendChart })));
export const IndexChart = lazy(() => import('./charts/index-chart').then((m) => ({ default: m.IndexChart })));
