#!/usr/bin/env node
/**
 * Writes province-tiles.json, the tile-grid maps of Vietnam's provinces (63 until 30 June 2025,
 * 34 from 1 July 2025), and prints each grid in ASCII to check it by eye:
 *
 *   node web/src/stats/map/province-tiles.make.mjs           (writes the JSON)
 *   node web/src/stats/map/province-tiles.make.mjs --check   (fails if the JSON differs from what it would write)
 *
 * Codes and names come from the repository's unit catalogue (data/reference/admin-units-2025, the
 * names valid on 30 June 2025 / 1 July 2025, with data/reference/unit-renames.json applied). The
 * positions come from the approximate latitude/longitude of each old province's capital (public,
 * well-known facts, rounded to 0.01°, listed below). A new province sits at the mean of its old
 * provinces' capitals, so a merged unit's tile reflects its new extent rather than its seat.
 * Each point is projected (north up, longitude scaled by cos 16°), the latitude is warped so that
 * the long, thin middle of the country is not left full of holes, and the points are assigned to
 * grid cells by a minimum-cost matching (squared distance): no two units share a cell. A few
 * hand-made nudges (OVERRIDES) follow, each with its reason. Not a part of the bundle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..', '..', '..');
const REFERENCE = path.join(ROOT, 'data', 'reference');

/** Capital of each province before 1 July 2025: [lat, lon] (approximate, public facts). */
const CAPITALS = {
  '01': [21.03, 105.85], // Hà Nội
  '02': [22.82, 104.98], // Hà Giang
  '04': [22.67, 106.26], // Cao Bằng
  '06': [22.15, 105.83], // Bắc Kạn
  '08': [21.82, 105.21], // Tuyên Quang
  '10': [22.49, 103.97], // Lào Cai
  '11': [21.39, 103.02], // Điện Biên Phủ
  '12': [22.39, 103.47], // Lai Châu
  '14': [21.33, 103.91], // Sơn La
  '15': [21.72, 104.91], // Yên Bái
  '17': [20.82, 105.34], // Hòa Bình
  '19': [21.59, 105.85], // Thái Nguyên
  '20': [21.85, 106.76], // Lạng Sơn
  '22': [20.95, 107.08], // Hạ Long (Quảng Ninh)
  '24': [21.27, 106.19], // Bắc Giang
  '25': [21.32, 105.40], // Việt Trì (Phú Thọ)
  '26': [21.31, 105.60], // Vĩnh Yên (Vĩnh Phúc)
  '27': [21.19, 106.08], // Bắc Ninh
  '30': [20.94, 106.33], // Hải Dương
  '31': [20.86, 106.68], // Hải Phòng
  '33': [20.65, 106.05], // Hưng Yên
  '34': [20.45, 106.34], // Thái Bình
  '35': [20.54, 105.91], // Phủ Lý (Hà Nam)
  '36': [20.43, 106.17], // Nam Định
  '37': [20.25, 105.97], // Ninh Bình
  '38': [19.81, 105.78], // Thanh Hóa
  '40': [18.68, 105.68], // Vinh (Nghệ An)
  '42': [18.34, 105.91], // Hà Tĩnh
  '44': [17.47, 106.62], // Đồng Hới (Quảng Bình)
  '45': [16.82, 107.10], // Đông Hà (Quảng Trị)
  '46': [16.46, 107.59], // Huế
  '48': [16.05, 108.20], // Đà Nẵng
  '49': [15.57, 108.47], // Tam Kỳ (Quảng Nam)
  '51': [15.12, 108.80], // Quảng Ngãi
  '52': [13.78, 109.22], // Quy Nhơn (Bình Định)
  '54': [13.09, 109.30], // Tuy Hòa (Phú Yên)
  '56': [12.24, 109.19], // Nha Trang (Khánh Hòa)
  '58': [11.56, 108.99], // Phan Rang-Tháp Chàm (Ninh Thuận)
  '60': [10.93, 108.10], // Phan Thiết (Bình Thuận)
  '62': [14.35, 108.00], // Kon Tum
  '64': [13.98, 108.00], // Pleiku (Gia Lai)
  '66': [12.67, 108.04], // Buôn Ma Thuột (Đắk Lắk)
  '67': [12.00, 107.69], // Gia Nghĩa (Đắk Nông)
  '68': [11.94, 108.44], // Đà Lạt (Lâm Đồng)
  '70': [11.53, 106.89], // Đồng Xoài (Bình Phước)
  '72': [11.31, 106.10], // Tây Ninh
  '74': [10.98, 106.65], // Thủ Dầu Một (Bình Dương)
  '75': [10.95, 106.82], // Biên Hòa (Đồng Nai)
  '77': [10.50, 107.17], // Bà Rịa (Bà Rịa - Vũng Tàu)
  '79': [10.78, 106.70], // Hồ Chí Minh
  '80': [10.54, 106.41], // Tân An (Long An)
  '82': [10.36, 106.36], // Mỹ Tho (Tiền Giang)
  '83': [10.24, 106.38], // Bến Tre
  '84': [9.93, 106.35], // Trà Vinh
  '86': [10.25, 105.97], // Vĩnh Long
  '87': [10.46, 105.63], // Cao Lãnh (Đồng Tháp)
  '89': [10.39, 105.44], // Long Xuyên (An Giang)
  '91': [10.01, 105.08], // Rạch Giá (Kiên Giang)
  '92': [10.03, 105.78], // Cần Thơ
  '93': [9.78, 105.47], // Vị Thanh (Hậu Giang)
  '94': [9.60, 105.97], // Sóc Trăng
  '95': [9.29, 105.72], // Bạc Liêu
  '96': [9.18, 105.15], // Cà Mau
};

/**
 * Short labels for the tiles (2-3 letters, or the name when it is that short), by name: the same
 * province keeps its label across the merger. Quảng Ninh/Nam/Ngãi, Đà Nẵng/Đồng Nai/Đắk Nông,
 * Thái Nguyên/Tây Ninh, Hà Giang/Hậu Giang and Bến Tre/Bình Thuận need a third letter.
 */
const ABBREVIATIONS = {
  'Hà Nội': 'HN', 'Hà Giang': 'HG', 'Cao Bằng': 'CB', 'Bắc Kạn': 'BK', 'Tuyên Quang': 'TQ', 'Lào Cai': 'LCa',
  'Điện Biên': 'ĐB', 'Lai Châu': 'LCh', 'Sơn La': 'SL', 'Yên Bái': 'YB', 'Hoà Bình': 'HB', 'Thái Nguyên': 'TNg',
  'Lạng Sơn': 'LS', 'Quảng Ninh': 'QNi', 'Bắc Giang': 'BG', 'Phú Thọ': 'PT', 'Vĩnh Phúc': 'VP', 'Bắc Ninh': 'BN',
  'Hải Dương': 'HD', 'Hải Phòng': 'HP', 'Hưng Yên': 'HY', 'Thái Bình': 'TB', 'Hà Nam': 'HNa', 'Nam Định': 'NĐ',
  'Ninh Bình': 'NB', 'Thanh Hóa': 'TH', 'Nghệ An': 'NA', 'Hà Tĩnh': 'HT', 'Quảng Bình': 'QB', 'Quảng Trị': 'QT',
  'Huế': 'Huế', 'Đà Nẵng': 'ĐNg', 'Quảng Nam': 'QNa', 'Quảng Ngãi': 'QNg', 'Bình Định': 'BĐ', 'Phú Yên': 'PY',
  'Khánh Hòa': 'KH', 'Ninh Thuận': 'NT', 'Bình Thuận': 'BTh', 'Kon Tum': 'KT', 'Gia Lai': 'GL', 'Đắk Lắk': 'ĐL',
  'Đắk Nông': 'ĐNô', 'Lâm Đồng': 'LĐ', 'Bình Phước': 'BP', 'Tây Ninh': 'TNi', 'Bình Dương': 'BD', 'Đồng Nai': 'ĐNa',
  'Bà Rịa - Vũng Tàu': 'BRV', 'Hồ Chí Minh': 'HCM', 'Long An': 'LA', 'Tiền Giang': 'TG', 'Bến Tre': 'BTr',
  'Trà Vinh': 'TV', 'Vĩnh Long': 'VL', 'Đồng Tháp': 'ĐT', 'An Giang': 'AG', 'Kiên Giang': 'KG', 'Cần Thơ': 'CT',
  'Hậu Giang': 'HGi', 'Sóc Trăng': 'ST', 'Bạc Liêu': 'BL', 'Cà Mau': 'CM',
};

/** The name without "Tỉnh"/"Thành phố", as the label table and people say it. */
const shortName = (name) => name.replace(/^(Tỉnh|Thành phố)\s+/, '');

/**
 * Hand-made moves after the matching, [code, row, col] in the final grid, each for a reason the
 * distances alone cannot see. Filled in after looking at the ASCII grids.
 */
const OVERRIDES = {
  '63': [
    // The north-west: Yên Bái and Phú Thọ close the gap beside Sơn La, Hòa Bình sits west of Hà Nội.
    ['15', 2, 2], ['25', 2, 3], ['17', 3, 3],
    // The south-central coast is two tiles wide (highlands, coast) instead of bulging into a notch.
    ['52', 11, 9], ['54', 12, 9], ['68', 13, 8], ['56', 13, 9], ['60', 14, 8], ['58', 14, 9],
    // Cà Mau is the southern tip, beside Bạc Liêu.
    ['96', 18, 3],
  ],
  '34': [
    // Lai Châu north of Sơn La, Tuyên Quang (with Hà Giang) at the northern border beside Cao Bằng.
    ['12', 1, 1], ['08', 0, 3],
  ],
};

/** Grid geometry per layout: cell size in degrees, and the latitude warp's squeeze of the middle. */
const GEOMETRY = {
  '63': { cell: 0.6, squeezeFrom: 11.6, squeezeTo: 19.9, squeeze: 0.62 },
  '34': { cell: 0.8, squeezeFrom: 11.6, squeezeTo: 19.9, squeeze: 0.62 },
};

const COS_LAT = Math.cos((16 * Math.PI) / 180);

/** Latitude → a northing in which the middle band (squeezeFrom..squeezeTo) counts for less. */
function warpLatitude(lat, g) {
  const below = Math.min(lat, g.squeezeFrom);
  const middle = Math.max(0, Math.min(lat, g.squeezeTo) - g.squeezeFrom);
  const above = Math.max(0, lat - g.squeezeTo);
  return below + middle * g.squeeze + above;
}

/**
 * Minimum-cost assignment of n rows to m ≥ n columns (Hungarian algorithm, O(n²m)):
 * returns, for each row, its column.
 */
function assign(cost) {
  const n = cost.length;
  const m = cost[0].length;
  const INF = Number.POSITIVE_INFINITY;
  const u = new Array(n + 1).fill(0);
  const v = new Array(m + 1).fill(0);
  const p = new Array(m + 1).fill(0);
  const way = new Array(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Array(m + 1).fill(INF);
    const used = new Array(m + 1).fill(false);
    do {
      used[j0] = true;
      const i0 = p[j0];
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) { minv[j] = cur; way[j] = j0; }
        if (minv[j] < delta) { delta = minv[j]; j1 = j; }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) { u[p[j]] += delta; v[j] -= delta; } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0);
  }
  const result = new Array(n);
  for (let j = 1; j <= m; j++) if (p[j]) result[p[j] - 1] = j - 1;
  return result;
}

/** Units placed on a grid: ideal fractional positions, then a collision-free matching to cells. */
function layOut(units, g) {
  const points = units.map((unit) => ({ unit, x: (unit.lon * COS_LAT) / g.cell, y: -warpLatitude(unit.lat, g) / g.cell }));
  const minX = Math.min(...points.map((p) => p.x));
  const minY = Math.min(...points.map((p) => p.y));
  for (const p of points) { p.x -= minX; p.y -= minY; }
  const cols = Math.ceil(Math.max(...points.map((p) => p.x))) + 2;
  const rows = Math.ceil(Math.max(...points.map((p) => p.y))) + 2;
  const cells = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) cells.push({ r, c });
  const cost = points.map((p) => cells.map(({ r, c }) => (c - p.x) ** 2 + (r - p.y) ** 2));
  const chosen = assign(cost);
  return points.map((p, i) => ({ ...p.unit, row: cells[chosen[i]].r, col: cells[chosen[i]].c }));
}

/** Moves the grid to start at row 0, col 0, then applies the overrides (in those coordinates), then again. */
function finish(tiles, overrides) {
  const shifted = normalise(tiles);
  for (const [code, row, col] of overrides) {
    const tile = shifted.find((t) => t.code === code);
    if (!tile) throw new Error(`override for unknown code ${code}`);
    tile.row = row;
    tile.col = col;
  }
  return normalise(shifted).sort((a, b) => a.row - b.row || a.col - b.col);
}

function normalise(tiles) {
  const minRow = Math.min(...tiles.map((t) => t.row));
  const minCol = Math.min(...tiles.map((t) => t.col));
  return tiles.map((t) => ({ code: t.code, name: t.name, abbr: t.abbr, row: t.row - minRow, col: t.col - minCol }));
}

/** The grid in ASCII, one cell 4 characters wide, for the eye. */
function ascii(tiles) {
  const rows = Math.max(...tiles.map((t) => t.row)) + 1;
  const cols = Math.max(...tiles.map((t) => t.col)) + 1;
  const grid = Array.from({ length: rows }, () => new Array(cols).fill(' .  '));
  for (const t of tiles) {
    if (grid[t.row][t.col] !== ' .  ') throw new Error(`two tiles in cell ${t.row},${t.col}`);
    grid[t.row][t.col] = t.abbr.padEnd(4);
  }
  return grid.map((line, i) => `${String(i).padStart(2)} ${line.join('')}`).join('\n');
}

function readJson(file) {
  return JSON.parse(fs.readFileSync(path.join(REFERENCE, file), 'utf8'));
}

/** The provinces of each layout with their names on the layout's first/last day and their point. */
function provinces() {
  const splits = readJson('admin-units-2025/splits.json').data;
  const merges = readJson('admin-units-2025/merges.json').data;
  const renames = readJson('unit-renames.json').renames;
  // The catalogue holds today's names; a unit renamed after 30 June 2025 would need its former name.
  const nameOn = (code, current, day) => renames.find((r) => r.code === code && r.kind === 'province' && r.formerValidTo >= day && r.effectiveOn > day)?.formerName ?? current;
  const before = splits.map((p) => {
    const [lat, lon] = CAPITALS[p.level1_id] ?? fail(`no capital for ${p.level1_id}`);
    const name = nameOn(p.level1_id, p.name, '2025-06-30');
    return { code: p.level1_id, name, abbr: ABBREVIATIONS[shortName(name)] ?? fail(`no abbreviation for ${name}`), lat, lon };
  });
  const after = merges.map((p) => {
    const olds = p.merges.map((m) => CAPITALS[m.old_id] ?? fail(`no capital for ${m.old_id}`));
    const lat = olds.reduce((s, [a]) => s + a, 0) / olds.length;
    const lon = olds.reduce((s, [, o]) => s + o, 0) / olds.length;
    return { code: p.level1_id, name: p.name, abbr: ABBREVIATIONS[shortName(p.name)] ?? fail(`no abbreviation for ${p.name}`), lat, lon };
  });
  return { '63': before, '34': after };
}

function fail(message) {
  throw new Error(message);
}

function main() {
  const units = provinces();
  const out = {
    about:
      'Tile-grid maps of the provinces (north up, coast on the right): 63 = valid on 2025-06-30, 34 = from 2025-07-01. ' +
      'Codes and names from data/reference (admin-units-2025, unit-renames). Positions: approximate provincial-capital ' +
      'latitude/longitude (a merged province: the mean of its old provinces\' capitals), the middle latitudes squeezed, ' +
      'matched to cells at minimum squared distance, a few hand nudges. Generated by province-tiles.make.mjs (which lists the coordinates).',
  };
  const check = process.argv.includes('--check');
  for (const layout of ['63', '34']) {
    const tiles = finish(layOut(units[layout], GEOMETRY[layout]), OVERRIDES[layout]);
    out[layout] = tiles;
    if (!check) console.log(`layout ${layout}: ${tiles.length} tiles\n${ascii(tiles)}\n`);
  }
  // One tile a line: the file stays readable and its diffs small.
  const text = JSON.stringify(out, null, 1).replace(/\{\n\s+("code"[^}]*)\n\s+\}/g, (_, body) => `{ ${body.replace(/\n\s+/g, ' ')} }`) + '\n';
  const file = path.join(HERE, 'province-tiles.json');
  if (!check) fs.writeFileSync(file, text);
  else if (fs.readFileSync(file, 'utf8') !== text) {
    console.error(`${path.relative(ROOT, file)} is not what province-tiles.make.mjs writes: run it and commit the result`);
    process.exit(1);
  }
}

main();
