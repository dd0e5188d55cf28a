import { KeyboardEvent, useId, useRef, useState } from 'react';
import layouts from './province-tiles.json';
import { classOf, ColourClass, colourClasses, NO_DATA_FILL, NO_DATA_TEXT } from './colour-scale';

export type Status = 'MET' | 'MISSED' | 'NOT_IN_FORCE' | 'NO_DATA';
export interface TileDatum { code: string; name: string; value: number | null; status?: Status }

interface LayoutTile { code: string; name: string; abbr: string; row: number; col: number }
type Lang = 'vi' | 'en';

const LABELS = {
  vi: {
    legend: 'Chú giải',
    noData: 'Không có số liệu',
    status: { MET: 'đạt mục tiêu', MISSED: 'chưa đạt mục tiêu', NOT_IN_FORCE: 'chưa có mục tiêu hiệu lực', NO_DATA: 'không có số liệu' },
    marks: 'Dấu trên ô',
    unplaced: 'Đơn vị không có ô trên bản đồ',
    selected: 'đang chọn',
    hover: 'Di chuột hoặc chuyển đến một ô để xem giá trị.',
    keys: 'Phím mũi tên: chuyển giữa các ô; Enter: mở chi tiết.',
  },
  en: {
    legend: 'Legend',
    noData: 'No data',
    status: { MET: 'target met', MISSED: 'target missed', NOT_IN_FORCE: 'no target in force', NO_DATA: 'no data' },
    marks: 'Marks on the tiles',
    unplaced: 'Units without a tile on the map',
    selected: 'selected',
    hover: 'Point at or move to a tile to see its value.',
    keys: 'Arrow keys move between tiles; Enter opens the details.',
  },
} satisfies Record<Lang, unknown>;

/** Status without colour: a mark on the tile, explained in the legend. */
const MARKS: Record<Status, string> = { MET: '✓', MISSED: '✗', NOT_IN_FORCE: '–', NO_DATA: '' };

/** Scoped rules that inline styles cannot say (focus, hover, the grid's responsive size). React 19 hoists and dedupes it. */
const CSS = `
.dvc-tm { margin: 0.5rem 0; font-family: system-ui, sans-serif; position: relative; }
.dvc-tm-body { display: flex; flex-wrap: wrap; gap: 1rem 2rem; align-items: flex-start; }
.dvc-tm-grid { display: grid; gap: 2px; max-width: 100%; flex: 0 1 auto; }
.dvc-tm-tile { aspect-ratio: 1; border: 0; border-radius: 3px; cursor: pointer; display: flex; flex-direction: column;
  align-items: center; justify-content: center; font: 700 clamp(9px, 2.6vw, 12px)/1.05 system-ui, sans-serif; padding: 0; position: relative; min-width: 0; }
.dvc-tm-tile:hover { filter: brightness(1.08); }
.dvc-tm-tile:focus-visible { outline: 3px solid #b35c00; outline-offset: 1px; z-index: 2; }
.dvc-tm-tile[aria-pressed=true] { box-shadow: 0 0 0 2px #fff, 0 0 0 5px #000; z-index: 1; }
.dvc-tm-mark { font-size: 0.95em; }
.dvc-tm-legend { font-size: 0.85rem; min-width: 12rem; }
.dvc-tm-legend h3 { font-size: 0.9rem; margin: 0 0 0.3rem; }
.dvc-tm-legend ul { list-style: none; margin: 0 0 0.6rem; padding: 0; }
.dvc-tm-legend li { align-items: center; display: flex; gap: 0.4rem; margin: 0.15rem 0; }
.dvc-tm-swatch { border: 1px solid #767b84; display: inline-block; height: 1rem; width: 1.4rem; flex: none; }
.dvc-tm-keys { color: #4a4f57; font-size: 0.8rem; margin: 0.2rem 0; }
.dvc-tm-detail { font-size: 0.9rem; min-height: 1.4em; margin: 0.4rem 0; }
.dvc-tm-unplaced ul { display: flex; flex-wrap: wrap; gap: 0.3rem; list-style: none; padding: 0; }
.dvc-tm-unplaced button { border: 1px solid #767b84; border-radius: 3px; background: #fff; color: #1b1b1f; cursor: pointer; font: inherit; padding: 0.15rem 0.4rem; }
.dvc-tm-unplaced button[aria-pressed=true] { outline: 3px solid #000; }
`;

/** Visually hidden, still read by screen readers. */
const SR_ONLY = { position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' } as const;

/** Tile sizes: the 34-province grid has fewer, larger tiles. */
const TILE_REM: Record<'63' | '34', number> = { '63': 2.3, '34': 3 };

/** The label a screen reader hears, and the tooltip: name, value, status. */
function describe(d: TileDatum, formatValue: (v: number | null) => string, lang: Lang): string {
  const status = d.status ?? (d.value === null ? 'NO_DATA' : undefined);
  const value = d.value === null ? LABELS[lang].noData : formatValue(d.value);
  return status && status !== 'NO_DATA' ? `${d.name}: ${value}, ${LABELS[lang].status[status]}` : `${d.name}: ${value}`;
}

/** Range of a class, as the legend names it. */
function rangeLabel(c: ColourClass, formatValue: (v: number | null) => string, single: boolean): string {
  return single || c.from === c.to ? formatValue(c.from) : `${formatValue(c.from)} – ${formatValue(c.to)}`;
}

const ARROWS: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

/**
 * The nearest tile from `from` in an arrow's direction: ahead along the arrow, then as little
 * sideways as possible (sideways counts double, so Down follows the coast's diagonal only when
 * nothing lies straight below).
 */
export function nextTile(cells: LayoutTile[], from: LayoutTile, key: string): LayoutTile | undefined {
  const [dr, dc] = ARROWS[key] ?? [0, 0];
  let best: LayoutTile | undefined;
  let bestScore = Infinity;
  for (const c of cells) {
    const ahead = (c.row - from.row) * dr + (c.col - from.col) * dc;
    if (ahead <= 0) continue;
    const side = Math.abs(dr !== 0 ? c.col - from.col : c.row - from.row);
    const score = ahead + 2 * side;
    if (score < bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}

function Tile({ tile, datum, classes, formatValue, lang, selected, tabStop, onSelect, onShow, onActive }: {
  tile: LayoutTile; datum: TileDatum; classes: ColourClass[]; formatValue: (v: number | null) => string; lang: Lang;
  selected: boolean; tabStop: boolean; onSelect?: (code: string) => void; onShow: (d: TileDatum | null) => void; onActive: (code: string) => void;
}) {
  const cls = classOf(classes, datum.value);
  // The visible abbreviation first (WCAG 2.5.3, label in name: speech users say what they see).
  const label = `${tile.abbr}, ${describe(datum, formatValue, lang)}`;
  const mark = datum.status ? MARKS[datum.status] : '';
  return (
    <button
      type="button"
      className="dvc-tm-tile"
      data-code={tile.code}
      aria-label={label}
      aria-pressed={selected}
      title={label}
      tabIndex={tabStop ? 0 : -1}
      style={{ gridRow: tile.row + 1, gridColumn: tile.col + 1, background: cls?.fill ?? NO_DATA_FILL, color: cls?.text ?? NO_DATA_TEXT }}
      onClick={() => onSelect?.(tile.code)}
      onFocus={() => {
        onShow(datum);
        onActive(tile.code);
      }}
      onMouseEnter={() => onShow(datum)}
      onMouseLeave={() => onShow(null)}
    >
      <span aria-hidden="true">{tile.abbr}</span>
      {mark && <span className="dvc-tm-mark" aria-hidden="true">{mark}</span>}
    </button>
  );
}

function Legend({ classes, formatValue, lang, statuses }: { classes: ColourClass[]; formatValue: (v: number | null) => string; lang: Lang; statuses: Set<Status> }) {
  const t = LABELS[lang];
  const shownMarks = (['MET', 'MISSED', 'NOT_IN_FORCE'] as const).filter((s) => statuses.has(s));
  return (
    <div className="dvc-tm-legend">
      <h3>{t.legend}</h3>
      <ul>
        {/* Highest first, as the map reads darker = higher. */}
        {[...classes].reverse().map((c) => (
          <li key={c.fill}>
            <span className="dvc-tm-swatch" style={{ background: c.fill }} aria-hidden="true" />
            {rangeLabel(c, formatValue, classes.length === 1)}
          </li>
        ))}
        <li>
          <span className="dvc-tm-swatch" style={{ background: NO_DATA_FILL }} aria-hidden="true" />
          {t.noData}
        </li>
      </ul>
      {shownMarks.length > 0 && (
        <>
          <h3>{t.marks}</h3>
          <ul>
            {shownMarks.map((s) => (
              <li key={s}>
                <span aria-hidden="true" style={{ display: 'inline-block', width: '1.4rem', textAlign: 'center', fontWeight: 700 }}>{MARKS[s]}</span>
                {t.status[s]}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}

/**
 * A tile-grid map of the provinces (no boundary file needed): one square per province, placed so
 * the grid reads as the country, coloured by value. Units of `tiles` that have no cell in the
 * layout (a code from another period, a ministry) are listed below the map, never dropped; cells
 * of the layout without a datum show as no data.
 */
export function TileMap({ tiles, layout, formatValue, title, lang, selected, onSelect }: {
  tiles: TileDatum[];
  layout: '63' | '34';
  formatValue: (v: number | null) => string;
  title: string;
  lang: 'vi' | 'en';
  selected?: string;
  onSelect?: (code: string) => void;
}) {
  const [shown, setShown] = useState<TileDatum | null>(null);
  // One tab stop for the whole map (roving tabindex): the last focused tile, else the selected, else the first.
  const [active, setActive] = useState<string | null>(null);
  const grid = useRef<HTMLDivElement>(null);
  const keysHint = useId();
  const caption = useId();
  const cells = (layouts as unknown as Record<'63' | '34', LayoutTile[]>)[layout];
  // No unit judged against a target (an indicator without one, or none in force): no marks, no status in the
  // names, as the ranked table drops its status column; a "–" on every tile would say nothing.
  const judged = tiles.some((d) => d.status === 'MET' || d.status === 'MISSED');
  const shownTiles = judged ? tiles : tiles.map((d) => ({ ...d, status: undefined }));
  const byCode = new Map(shownTiles.map((d) => [d.code, d]));
  const placed = new Set(cells.map((c) => c.code));
  const unplaced = shownTiles.filter((d) => !placed.has(d.code));
  const classes = colourClasses(tiles.map((d) => d.value));
  const statuses = new Set(shownTiles.map((d) => d.status).filter((s): s is Status => !!s));
  const cols = Math.max(...cells.map((c) => c.col)) + 1;
  const rows = Math.max(...cells.map((c) => c.row)) + 1;
  const t = LABELS[lang];
  const tabStop = [active, selected].find((c) => c && placed.has(c)) ?? cells[0]?.code;
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const from = cells.find((c) => c.code === (e.target as HTMLElement).dataset.code);
    if (!from || !(e.key in ARROWS || e.key === 'Home' || e.key === 'End')) return;
    e.preventDefault();
    const to = e.key === 'Home' ? cells[0] : e.key === 'End' ? cells[cells.length - 1] : nextTile(cells, from, e.key);
    if (!to) return;
    setActive(to.code);
    grid.current?.querySelector<HTMLButtonElement>(`[data-code="${to.code}"]`)?.focus();
  };
  const focusDatum = shown ?? (selected ? byCode.get(selected) ?? null : null);
  return (
    <figure className="dvc-tm" data-layout={layout}>
      <style href="dvc-tile-map" precedence="default">{CSS}</style>
      {/* The page heads the view with the same words: the caption names the map for screen readers only. */}
      <figcaption id={caption} style={SR_ONLY}>{title}</figcaption>
      <div className="dvc-tm-body">
        <div
          className="dvc-tm-grid"
          ref={grid}
          role="group"
          aria-labelledby={caption}
          aria-describedby={keysHint}
          onKeyDown={onKeyDown}
          style={{ gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`, gridTemplateRows: `repeat(${rows}, auto)`, width: `${cols * TILE_REM[layout]}rem` }}
        >
          {cells.map((cell) => (
            <Tile
              key={cell.code}
              tile={cell}
              datum={byCode.get(cell.code) ?? { code: cell.code, name: cell.name, value: null }}
              classes={classes}
              formatValue={formatValue}
              lang={lang}
              selected={selected === cell.code}
              tabStop={tabStop === cell.code}
              onSelect={onSelect}
              onShow={setShown}
              onActive={setActive}
            />
          ))}
        </div>
        <div>
          <Legend classes={classes} formatValue={formatValue} lang={lang} statuses={statuses} />
          <p className="dvc-tm-keys" id={keysHint}>{t.keys}</p>
          <p className="dvc-tm-detail" aria-hidden="true">{focusDatum ? describe(focusDatum, formatValue, lang) : t.hover}</p>
        </div>
      </div>
      {unplaced.length > 0 && (
        <div className="dvc-tm-unplaced">
          <h3 style={{ fontSize: '0.9rem', margin: '0.5rem 0 0.2rem' }}>{t.unplaced}</h3>
          <ul>
            {unplaced.map((d) => (
              <li key={d.code}>
                <button type="button" aria-pressed={selected === d.code} onClick={() => onSelect?.(d.code)}>
                  {describe(d, formatValue, lang)}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </figure>
  );
}
