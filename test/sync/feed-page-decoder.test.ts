import { FeedPageDecoder } from '../../src/connectors/feed-page.decoder';
import { RunningSimulator, startSimulator } from '../../src/simulator';

/**
 * The dossier feed's page decoder against JSON.parse: whatever it decodes, JSON.parse reads the
 * same way; whatever it declines goes to the JSON path. Pages come from the simulator (what the
 * sync reads) and from edits of them, by hand and at random.
 */

/** What the sync takes from a dossier, read from JSON.parse's objects (the JSON path's own reading). */
function viaJson(body: Buffer): { total: unknown; rows: unknown[][]; last: string } {
  const page = JSON.parse(body.toString('utf8')) as { content: Record<string, unknown>[]; totalElements?: unknown };
  const ts = (v: unknown) => (typeof v === 'string' ? Number(v) : 0);
  const rows = page.content.map((d) => [
    d.MaHoSo,
    d.MaXa || d.MaHuyen || d.MaTinh,
    d.MaTTHC,
    ts(d.NgayTiepNhan),
    ts(d.NgayHenTra),
    d.TrangThaiHoSo === 4 ? ts(d.NgayTra) : 0,
    ts(d.NgayCapNhat),
    d.HinhThuc,
    d.TrangThaiHoSo,
    d.PhiLePhi,
    d.ThanhToanTrucTuyen,
    d.DongBoDVCQG,
  ]);
  return { total: page.totalElements, rows, last: String(page.content.at(-1)?.NgayCapNhat ?? '') };
}

function viaDecoder(dec: FeedPageDecoder): { total: unknown; rows: unknown[][]; last: string } {
  const rows: unknown[][] = [];
  for (let i = 0; i < dec.count; i++) {
    rows.push([
      dec.code(i), dec.units[i], dec.procedures[i], dec.received[i], dec.due[i], dec.resolved[i], dec.modified[i],
      dec.hinhThuc[i], dec.status[i], dec.fee[i], dec.paid[i], dec.synced[i],
    ]);
  }
  return { total: dec.totalElements, rows, last: dec.count > 0 ? dec.lastModified : '' };
}

/** Decodes `body`: the columns if it was decoded (then checked against JSON.parse), null if declined. */
function decodeChecked(dec: FeedPageDecoder, body: Buffer, after: { t: string; id: string | null } | null = null) {
  if (!dec.decode(body, after)) return null;
  const decoded = viaDecoder(dec);
  // Accepted: the body is JSON, and reads the same.
  expect(decoded).toEqual(viaJson(body));
  return decoded;
}

describe('dossier feed page decoder', () => {
  let sim: RunningSimulator;
  const pages: Buffer[] = [];

  beforeAll(async () => {
    sim = await startSimulator({ port: 0 });
    const token = await (
      await fetch(`${sim.url}/igate/80/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'sim-client', client_secret: 'sim-secret' }),
      })
    ).json() as { access_token: string };
    const read = async (query: string) =>
      Buffer.from(await (await fetch(`${sim.url}/igate/80/api/dossiers?${query}`, { headers: { authorization: `Bearer ${token.access_token}` } })).arrayBuffer());
    // A corrected dossier is served from its record (JSON.stringify), the others from bytes.
    const resolved = (JSON.parse((await read('size=50')).toString('utf8')) as { content: { MaHoSo: string; TrangThaiHoSo: number }[] }).content.find((d) => d.TrangThaiHoSo === 4);
    sim.world.correctDossier(resolved!.MaHoSo, 'channel');
    let query = 'size=500';
    for (;;) {
      const body = await read(query);
      pages.push(body);
      const page = JSON.parse(body.toString('utf8')) as { content: { MaHoSo: string; NgayCapNhat: string }[] };
      if (page.content.length < 500) break;
      const last = page.content[page.content.length - 1];
      query = `size=500&modifiedFrom=${last.NgayCapNhat}&afterId=${encodeURIComponent(last.MaHoSo)}`;
    }
  });
  afterAll(() => sim?.close());

  it("decodes every page the simulator serves, as JSON.parse reads it", () => {
    const dec = new FeedPageDecoder();
    let dossiers = 0;
    let after: { t: string; id: string | null } | null = null;
    for (const body of pages) {
      const decoded = decodeChecked(dec, body, after);
      expect(decoded).not.toBeNull();
      dossiers += decoded!.rows.length;
      if (decoded!.rows.length > 0) after = { t: decoded!.last, id: decoded!.rows.at(-1)![0] as string };
    }
    expect(dossiers).toBe(sim.world.feed.total('80'));
    expect(pages.length).toBeGreaterThan(2);
  });

  it('declines what it does not read plainly, and pages out of order', () => {
    const dec = new FeedPageDecoder();
    const body = pages[0].toString('latin1');
    const first = JSON.parse(body).content[0] as Record<string, unknown>;
    const one = (d: Record<string, unknown>, rest = ',"totalElements":1}') => Buffer.from(`{"content":[${JSON.stringify(d)}]${rest}`, 'utf8');
    // Read: unknown fields (non-ASCII included), any key order, missing nullable fields, a bare envelope.
    const shuffled = Object.fromEntries(Object.entries(first).reverse());
    expect(decodeChecked(dec, one({ ...shuffled, TenThuTuc: 'Đăng ký khai sinh', Extra: [] }))).toBeNull(); // a nested value: declined
    expect(decodeChecked(dec, one({ ...shuffled, TenThuTuc: 'Đăng ký khai sinh', Ok: true }))?.rows).toHaveLength(1);
    const withStatus: Record<string, unknown> = { ...first, TrangThaiHoSo: 1 };
    const { MaHuyen: _h, NgayHenTra: _d, ...fewer } = withStatus;
    expect(decodeChecked(dec, one(fewer))?.rows[0][4]).toBe(0);
    expect(decodeChecked(dec, one(first, '}'))?.total).toBeUndefined();
    // Keys in another order from one dossier to the next (the decoder guesses each key from the last dossier's order).
    const [a, b, c] = (JSON.parse(body).content as Record<string, unknown>[]).slice(1, 4);
    const mixed = [a, Object.fromEntries(Object.entries(b).reverse()), c].map((d) => JSON.stringify(d)).join(',');
    expect(decodeChecked(dec, Buffer.from(`{"content":[${mixed}],"totalElements":3}`))?.rows).toHaveLength(3);
    expect(decodeChecked(dec, Buffer.from('{"content":[],"totalElements":0}'))?.rows).toEqual([]);
    // Declined: each of these the JSON path reads (or refuses) in its own words.
    const declined: [string, Buffer][] = [
      ['escape in a code', one({ ...first, MaHoSo: 'A\\"B' })],
      ['non-ASCII code', one({ ...first, MaTTHC: 'thủ-tục' })],
      ['float fee', Buffer.from(one(first).toString().replace(/"PhiLePhi":\d+/, '"PhiLePhi":1.5'))],
      ['exponent', Buffer.from(one(first).toString().replace(/"PhiLePhi":\d+/, '"PhiLePhi":1e3'))],
      ['leading zero', Buffer.from(one(first).toString().replace(/"PhiLePhi":\d+/, '"PhiLePhi":01'))],
      ['string number', one({ ...first, HinhThuc: '1' })],
      ['missing MaHoSo', one({ ...first, MaHoSo: undefined })],
      ['missing fee', one({ ...first, PhiLePhi: undefined })],
      ['duplicate key', Buffer.from(one(first).toString().replace('{"MaHoSo"', '{"HinhThuc":9,"MaHoSo"'))],
      ['whitespace', Buffer.from(one(first).toString().replace('"MaTTHC":', '"MaTTHC": '))],
      ['bad timestamp', one({ ...first, NgayTiepNhan: '2025-01-01' })],
      ['no calendar day', one({ ...first, NgayHenTra: '00000000000000' })],
      ['null received', one({ ...first, NgayTiepNhan: null })],
      ['resolved without NgayTra', one({ ...first, TrangThaiHoSo: 4, NgayTra: null })],
      ['empty unit codes', one({ ...first, MaXa: '', MaHuyen: null, MaTinh: '' })],
      ['MaHoSo over 64', one({ ...first, MaHoSo: 'x'.repeat(65) })],
      ['trailing comma', one(first, ',}')],
      ['trailing garbage', one(first, ',"totalElements":1}x')],
      ['a second content list', one(first, ',"content":[]}')],
      ['content not first', Buffer.from(`{"totalElements":1,"content":[${JSON.stringify(first)}]}`)],
      ['cut short', pages[0].subarray(0, pages[0].length - 100)],
    ];
    for (const [why, b] of declined) expect([why, decodeChecked(dec, b)]).toEqual([why, null]);
    // Order: strictly after the position asked for, and after each other.
    const d = first as { NgayCapNhat: string; MaHoSo: string };
    expect(decodeChecked(dec, one(first), { t: d.NgayCapNhat, id: d.MaHoSo })).toBeNull();
    expect(decodeChecked(dec, one(first), { t: d.NgayCapNhat, id: null })?.rows).toHaveLength(1);
    expect(decodeChecked(dec, Buffer.from(`{"content":[${JSON.stringify(first)},${JSON.stringify(first)}]}`))).toBeNull();
  });

  it('never decodes a page JSON.parse reads otherwise or refuses (random edits of a served page)', () => {
    const dec = new FeedPageDecoder();
    const base = pages[1].subarray(0, pages[1].indexOf('},{', 2000) + 1);
    const page = Buffer.concat([base, Buffer.from('],"totalElements":7}')]);
    expect(decodeChecked(dec, page)).not.toBeNull();
    // A fixed PRNG (xorshift), so a failure replays.
    let seed = 0x2545f491;
    const rand = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const alphabet = Buffer.from('0123456789"{}[],:\\ -.eEnultrfa\u00ff\n');
    let decoded = 0;
    for (let k = 0; k < 3000; k++) {
      const b = Buffer.from(page);
      const edits = 1 + rand(3);
      let mutated: Buffer = b;
      for (let e = 0; e < edits; e++) {
        const at = rand(mutated.length);
        const op = rand(3);
        const c = alphabet[rand(alphabet.length)];
        if (op === 0) mutated[at] = c;
        else if (op === 1) mutated = Buffer.concat([mutated.subarray(0, at), Buffer.from([c]), mutated.subarray(at)]);
        else mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1)]);
      }
      if (decodeChecked(dec, mutated)) decoded += 1;
    }
    // Some edits leave a page the decoder reads (a changed digit), most do not.
    expect(decoded).toBeGreaterThan(100);
    expect(decoded).toBeLessThan(3000);
  });
});
