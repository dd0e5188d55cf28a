'use strict';
/**
 * Empties the glyphs of a TrueType font that a page never shows, keeping its tables, glyph ids and
 * character map as they are (so nothing is renumbered): each dropped glyph's outline becomes
 * empty in `glyf`/`loca`, and the checksums are recomputed. Monaco's icon font (codicon.ttf,
 * ~570 icons, 57 KiB gzipped inside GraphiQL's stylesheet) is reduced to the icons the bundled
 * editor names. Plain JavaScript for web-build.js; no font tool needed.
 */

/** The tables of a font: tag -> { offset, length }. */
function tables(font) {
  const count = font.readUInt16BE(4);
  const out = {};
  for (let i = 0; i < count; i++) {
    const r = 12 + i * 16;
    out[font.toString('latin1', r, r + 4)] = { offset: font.readUInt32BE(r + 8), length: font.readUInt32BE(r + 12) };
  }
  return out;
}

/** Code point -> glyph id, from the cmap's Windows Unicode subtable (format 4 or 12). */
function characterMap(font, cmap) {
  const map = new Map();
  const n = font.readUInt16BE(cmap.offset + 2);
  for (let i = 0; i < n; i++) {
    const rec = cmap.offset + 4 + i * 8;
    const sub = cmap.offset + font.readUInt32BE(rec + 4);
    const format = font.readUInt16BE(sub);
    if (format === 4) {
      const segs = font.readUInt16BE(sub + 6) / 2;
      const ends = sub + 14, starts = ends + segs * 2 + 2, deltas = starts + segs * 2, ranges = deltas + segs * 2;
      for (let s = 0; s < segs; s++) {
        const end = font.readUInt16BE(ends + s * 2), start = font.readUInt16BE(starts + s * 2);
        const delta = font.readInt16BE(deltas + s * 2), rangeOffset = font.readUInt16BE(ranges + s * 2);
        for (let c = start; c <= end && c !== 0xffff; c++) {
          let g;
          if (rangeOffset === 0) g = (c + delta) & 0xffff;
          else {
            const at = ranges + s * 2 + rangeOffset + (c - start) * 2;
            g = font.readUInt16BE(at);
            if (g !== 0) g = (g + delta) & 0xffff;
          }
          if (g !== 0) map.set(c, g);
        }
      }
    } else if (format === 12) {
      const groups = font.readUInt32BE(sub + 12);
      for (let gi = 0; gi < groups; gi++) {
        const at = sub + 16 + gi * 12;
        const start = font.readUInt32BE(at), end = font.readUInt32BE(at + 4), glyph = font.readUInt32BE(at + 8);
        for (let c = start; c <= end; c++) map.set(c, glyph + (c - start));
      }
    }
  }
  return map;
}

function checksum(buf) {
  let sum = 0;
  const padded = Buffer.concat([buf, Buffer.alloc((4 - (buf.length % 4)) % 4)]);
  for (let i = 0; i < padded.length; i += 4) sum = (sum + padded.readUInt32BE(i)) >>> 0;
  return sum;
}

/** The font with only the glyphs of `codePoints` (and glyph 0, .notdef) left drawn. */
function keepGlyphs(font, codePoints) {
  const t = tables(font);
  for (const tag of ['head', 'maxp', 'loca', 'glyf', 'cmap']) if (!t[tag]) throw new Error(`ttf-subset: no ${tag} table`);
  const longLoca = font.readInt16BE(t.head.offset + 50) === 1;
  const numGlyphs = font.readUInt16BE(t.maxp.offset + 4);
  const loca = (i) => (longLoca ? font.readUInt32BE(t.loca.offset + i * 4) : font.readUInt16BE(t.loca.offset + i * 2) * 2);
  const cmap = characterMap(font, t.cmap);
  const keep = new Set([0]);
  for (const c of codePoints) if (cmap.has(c)) keep.add(cmap.get(c));
  // Composite glyphs draw other glyphs: keep those too.
  for (const g of [...keep]) {
    const start = t.glyf.offset + loca(g);
    if (loca(g + 1) > loca(g) && font.readInt16BE(start) < 0) throw new Error('ttf-subset: composite glyphs are not handled');
  }
  const parts = [];
  const offsets = [];
  let at = 0;
  for (let g = 0; g < numGlyphs; g++) {
    offsets.push(at);
    if (!keep.has(g)) continue;
    let data = font.subarray(t.glyf.offset + loca(g), t.glyf.offset + loca(g + 1));
    if (data.length % 4) data = Buffer.concat([data, Buffer.alloc(4 - (data.length % 4))]);
    parts.push(data);
    at += data.length;
  }
  offsets.push(at);
  const glyf = Buffer.concat(parts);
  const newLoca = Buffer.alloc(offsets.length * (longLoca ? 4 : 2));
  offsets.forEach((o, i) => (longLoca ? newLoca.writeUInt32BE(o, i * 4) : newLoca.writeUInt16BE(o / 2, i * 2)));
  // Reassemble, tables in their directory order, each at a 4-byte boundary.
  const count = font.readUInt16BE(4);
  const header = Buffer.from(font.subarray(0, 12 + count * 16));
  const bodies = [];
  let offset = header.length;
  let headAt = -1;
  for (let i = 0; i < count; i++) {
    const r = 12 + i * 16;
    const tag = font.toString('latin1', r, r + 4);
    let body = tag === 'glyf' ? glyf : tag === 'loca' ? newLoca : Buffer.from(font.subarray(t[tag].offset, t[tag].offset + t[tag].length));
    if (tag === 'head') {
      body.writeUInt32BE(0, 8);
      headAt = offset;
    }
    header.writeUInt32BE(checksum(body), r + 4);
    header.writeUInt32BE(offset, r + 8);
    header.writeUInt32BE(body.length, r + 12);
    const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    bodies.push(padded);
    offset += padded.length;
  }
  const out = Buffer.concat([header, ...bodies]);
  out.writeUInt32BE((0xb1b0afba - checksum(out)) >>> 0, headAt + 8);
  return { font: out, kept: keep.size, of: numGlyphs };
}

module.exports = { keepGlyphs };
