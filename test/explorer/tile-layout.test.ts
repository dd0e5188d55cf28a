import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestGateway, TestGateway } from '../support/harness';

/**
 * The statistics page's tile-grid maps (web/src/stats/map/province-tiles.json) against the
 * gateway's own provinces: each province of a day has exactly one tile, under the name the API
 * gives it that day, no two tiles share a cell, and the grid reads as the country.
 */
interface Tile { code: string; name: string; abbr: string; row: number; col: number }
type Layouts = Record<'63' | '34', Tile[]>;

const ROOT = path.resolve(__dirname, '..', '..');
const MAP_DIR = path.join(ROOT, 'web', 'src', 'stats', 'map');
const layouts = JSON.parse(fs.readFileSync(path.join(MAP_DIR, 'province-tiles.json'), 'utf8')) as Layouts;

/**
 * The map's colour scale, through jest's TypeScript transform: a computed require keeps `tsc -p .`
 * from compiling the web module into dist/web (the bundle's folder).
 */
interface ColourClass { from: number; to: number; fill: string; text: string }
const scale = require(path.join(MAP_DIR, 'colour-scale.ts')) as {
  colourClasses(values: (number | null)[]): ColourClass[];
  classOf(classes: ColourClass[], value: number | null): ColourClass | undefined;
  contrast(a: string, b: string): number;
  NO_DATA_COLOUR: string; NO_DATA_HATCH: string; NO_DATA_TEXT: string;
};
const { classOf, colourClasses, contrast, NO_DATA_COLOUR, NO_DATA_HATCH, NO_DATA_TEXT } = scale;

const PROVINCES = `query Provinces($validAt: LocalDate) {
  units(filter: { kind: PROVINCE, validAt: $validAt }, first: 100) { totalCount nodes { code name } }
}`;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw?.stop());

/** The provinces valid on a day, as the API names them then. */
async function provincesOn(day: string): Promise<Map<string, string>> {
  const res = await gw.gql<{ units: { totalCount: number; nodes: { code: string; name: string }[] } }>(PROVINCES, { validAt: day });
  expect(res.errors).toBeUndefined();
  const { totalCount, nodes } = res.data!.units;
  expect(nodes).toHaveLength(totalCount);
  return new Map(nodes.map((n) => [n.code, n.name]));
}

/** Tiles reachable from the first one moving to any of the 8 neighbouring cells. */
function reachable(tiles: Tile[]): Set<string> {
  const at = new Map(tiles.map((t) => [`${t.row},${t.col}`, t]));
  const seen = new Set<string>([tiles[0].code]);
  const queue = [tiles[0]];
  while (queue.length) {
    const t = queue.shift()!;
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const n = at.get(`${t.row + dr},${t.col + dc}`);
        if (n && !seen.has(n.code)) {
          seen.add(n.code);
          queue.push(n);
        }
      }
    }
  }
  return seen;
}

const today = new Date().toISOString().slice(0, 10);

describe('province tile layouts', () => {
  it.each([
    ['63', '2025-06-30', 63],
    ['34', '2025-07-01', 34],
    ['34', today, 34],
  ] as const)('layout %s has exactly one tile for each province valid on %s, under its name that day', async (layout, day, count) => {
    const provinces = await provincesOn(day);
    expect(provinces.size).toBe(count);
    const tiles = layouts[layout];
    expect(tiles.map((t) => t.code).sort()).toEqual([...provinces.keys()].sort());
    for (const t of tiles) expect([t.code, t.name]).toEqual([t.code, provinces.get(t.code)]);
  });

  it.each(['63', '34'] as const)('layout %s: one tile a cell, one short label a tile, a connected grid within bounds', (layout) => {
    const tiles = layouts[layout];
    const cells = tiles.map((t) => `${t.row},${t.col}`);
    expect(new Set(cells).size).toBe(tiles.length);
    const abbrs = tiles.map((t) => t.abbr);
    expect(new Set(abbrs).size).toBe(tiles.length);
    for (const a of abbrs) expect(a).toMatch(/^\p{Lu}[\p{L}]{1,3}$/u);
    for (const t of tiles) {
      expect(Number.isInteger(t.row) && t.row >= 0).toBe(true);
      expect(Number.isInteger(t.col) && t.col >= 0).toBe(true);
    }
    // Starts at row 0 and column 0, and stays a tall, narrow country: at most 12 columns, 22 rows.
    const rows = Math.max(...tiles.map((t) => t.row)) + 1;
    const cols = Math.max(...tiles.map((t) => t.col)) + 1;
    expect(Math.min(...tiles.map((t) => t.row))).toBe(0);
    expect(Math.min(...tiles.map((t) => t.col))).toBe(0);
    expect(cols).toBeLessThanOrEqual(12);
    expect(rows).toBeLessThanOrEqual(22);
    expect(rows).toBeGreaterThan(cols);
    // Every tile touches the rest (sides or corners): no island floats away from the country.
    expect([...reachable(tiles)].sort()).toEqual(tiles.map((t) => t.code).sort());
  });

  it.each(['63', '34'] as const)('layout %s reads as the country: north at the top, the coast on the right', (layout) => {
    const tile = (code: string) => layouts[layout].find((t) => t.code === code)!;
    const [haNoi, hue, daNang, hcm, caMau, dienBien] = ['01', '46', '48', '79', '96', '11'].map(tile);
    expect(haNoi.row).toBeLessThan(hue.row);
    expect(hue.row).toBeLessThan(hcm.row);
    expect(hcm.row).toBeLessThan(caMau.row);
    // Điện Biên is the far north-west; Đà Nẵng is on the coast, east of Hà Nội and of Điện Biên.
    expect(dienBien.col).toBe(0);
    expect(daNang.col).toBeGreaterThan(haNoi.col);
    expect(haNoi.col).toBeGreaterThan(dienBien.col);
  });

  it('is what its generator writes from the capitals\' coordinates and the reference data', () => {
    const run = spawnSync(process.execPath, [path.join(MAP_DIR, 'province-tiles.make.mjs'), '--check'], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});

describe('map colours', () => {
  it('splits the values into equal classes between the lowest and the highest, nulls outside', () => {
    const classes = colourClasses([0.2, null, 0.4, 0.6, 0.7, 1]);
    // Five distinct values: five classes 0.16 wide from 0.2 to 1.
    expect(classes.map((c) => [c.from, c.to].map((v) => Math.round(v * 100) / 100))).toEqual([[0.2, 0.36], [0.36, 0.52], [0.52, 0.68], [0.68, 0.84], [0.84, 1]]);
    expect(classes.indexOf(classOf(classes, 0.2)!)).toBe(0);
    expect(classes.indexOf(classOf(classes, 0.6)!)).toBe(2);
    expect(classes.indexOf(classOf(classes, 0.7)!)).toBe(3);
    expect(classes.indexOf(classOf(classes, 1)!)).toBe(4);
    expect(classOf(classes, null)).toBeUndefined();
    // Equal values: one class; no values: none (every tile shows as no data).
    expect(colourClasses([0.5, 0.5, null])).toHaveLength(1);
    expect(colourClasses([null, null])).toEqual([]);
  });

  it('reads light to dark (luminance falls at every step) with AA contrast for each tile\'s text', () => {
    const classes = colourClasses([0, 0.25, 0.5, 0.75, 1]);
    expect(classes).toHaveLength(5);
    const againstBlack = classes.map((c) => contrast(c.fill, '#000000'));
    for (let i = 1; i < againstBlack.length; i++) expect(againstBlack[i]).toBeLessThan(againstBlack[i - 1]);
    for (const c of classes) expect(contrast(c.fill, c.text)).toBeGreaterThanOrEqual(4.5);
    // The no-data tiles: dark text on both colours of their hatching.
    expect(contrast(NO_DATA_COLOUR, NO_DATA_TEXT)).toBeGreaterThanOrEqual(4.5);
    expect(contrast(NO_DATA_HATCH, NO_DATA_TEXT)).toBeGreaterThanOrEqual(4.5);
  });
});
