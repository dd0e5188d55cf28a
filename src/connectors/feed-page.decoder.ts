/**
 * A dossier feed page decoded straight from its bytes into columns, for the common case only: a
 * page `{"content":[...], ...}` written without whitespace, whose dossiers hold plain ASCII
 * strings (no escapes), integers and nulls, every one complete and valid. Anything else (an
 * escape, a float, a nested value, a missing or repeated field, a bad timestamp, a page out of
 * order) makes decode() return false, and the connector parses that page with JSON.parse as
 * before, which reports exactly what it always did: this decoder decides nothing the JSON path
 * would decide differently, it only skips building objects.
 *
 * Why (bench:sync, 2 provinces): JSON.parse of the pages and the garbage of their objects were
 * the largest share of the gateway's CPU (JSON.parse 11% of the sync's samples, GC 5%, the
 * body's Latin-1 string 2%): a dossier became an object of 15 properties and 9 strings, of which
 * the sync keeps 3 strings and 8 numbers.
 */

/** Bytes of the JSON punctuation and digits the decoder reads. */
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
const BACKSLASH = 0x5c;
const PREFIX = Buffer.from('{"content":[', 'latin1');
const EMPTY = Buffer.alloc(0);
// Bound once: under jest a global lookup (Math) in a hot loop goes through the vm context (see src/simulator/ascii.writer.ts).
const { imul } = Math;

/** The fields the gateway reads, by bit (a field seen twice in one dossier sends the page to JSON.parse: JSON keeps the last). */
const enum F {
  MaHoSo = 1 << 0,
  MaTTHC = 1 << 1,
  MaTinh = 1 << 2,
  MaHuyen = 1 << 3,
  MaXa = 1 << 4,
  NgayTiepNhan = 1 << 5,
  NgayHenTra = 1 << 6,
  NgayTra = 1 << 7,
  NgayCapNhat = 1 << 8,
  HinhThuc = 1 << 9,
  TrangThaiHoSo = 1 << 10,
  PhiLePhi = 1 << 11,
  ThanhToanTrucTuyen = 1 << 12,
  DongBoDVCQG = 1 << 13,
}

const FIELDS: readonly [string, F][] = [
  ['MaHoSo', F.MaHoSo],
  ['MaTTHC', F.MaTTHC],
  ['MaTinh', F.MaTinh],
  ['MaHuyen', F.MaHuyen],
  ['MaXa', F.MaXa],
  ['NgayTiepNhan', F.NgayTiepNhan],
  ['NgayHenTra', F.NgayHenTra],
  ['NgayTra', F.NgayTra],
  ['NgayCapNhat', F.NgayCapNhat],
  ['HinhThuc', F.HinhThuc],
  ['TrangThaiHoSo', F.TrangThaiHoSo],
  ['PhiLePhi', F.PhiLePhi],
  ['ThanhToanTrucTuyen', F.ThanhToanTrucTuyen],
  ['DongBoDVCQG', F.DongBoDVCQG],
];
/** Fields whose value is a timestamp string, and those whose string is a code (looked up in the code cache by its hash). */
const TIMESTAMP_FIELDS = F.NgayTiepNhan | F.NgayHenTra | F.NgayTra | F.NgayCapNhat;
const CODE_FIELDS = F.MaTTHC | F.MaTinh | F.MaHuyen | F.MaXa;
/** Fields every dossier must give for the fast path (the nullable ones may be missing, as JSON.parse leaves them undefined). */
const REQUIRED = F.MaHoSo | F.MaTTHC | F.MaTinh | F.NgayTiepNhan | F.NgayCapNhat | F.HinhThuc | F.TrangThaiHoSo | F.PhiLePhi | F.ThanhToanTrucTuyen | F.DongBoDVCQG;
/** The read fields' keys, as bytes, by a hash of their bytes (open addressing, verified byte by byte). */
const KEY_SLOTS = 64;
interface Key {
  bytes: Uint8Array;
  field: F;
  /** Its place in FIELDS (for the key-order guess). */
  index: number;
}
const keySlots: (Key | undefined)[] = new Array(KEY_SLOTS);
/** Where a dossier's first key is guessed from (FIELDS.length: the object's start). */
const OBJECT_START = FIELDS.length;
function keyHash(h: number): number {
  return (h ^ (h >>> 7)) & (KEY_SLOTS - 1);
}
for (const [index, [name, field]] of FIELDS.entries()) {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) | 0;
  let at = keyHash(h);
  while (keySlots[at]) at = (at + 1) & (KEY_SLOTS - 1);
  keySlots[at] = { bytes: Buffer.from(name, 'latin1'), field, index };
}

/** What a value was: kinds the decoder tells apart. */
const enum V {
  Missing = 0,
  Null = 1,
  /** A timestamp field's string of 14 digits (its number in `num`). */
  Timestamp = 2,
  /** Any other plain string (its bounds in `s0`..`s1`; a code's hash in `hash`). */
  Text = 3,
  Integer = 4,
  /** true, false, or an unknown field's value: skipped. */
  Other = 5,
}

/**
 * Decodes pages into reusable columns (one decoder per run: the columns are overwritten by each
 * page, and hold only what the dossier stage takes).
 */
export class FeedPageDecoder {
  count = 0;
  /** The page's totalElements, as JSON.parse would give it (undefined when absent). */
  totalElements: unknown;
  /**
   * The page last decoded, kept until release() or the next decode: each dossier's MaHoSo is
   * its bytes `page[codeStart[i]..codeEnd[i]]` (ASCII), not a string. Why (bench:sync): a string
   * per dossier, 6.3M of them, was 2.2% of the gateway's samples to make, and garbage after.
   */
  page: Buffer = EMPTY;
  codeStart = new Int32Array(0);
  codeEnd = new Int32Array(0);
  units: string[] = [];
  procedures: string[] = [];
  /** Timestamps yyyyMMddHHmmss as numbers (0: none). */
  received = new Float64Array(0);
  due = new Float64Array(0);
  resolved = new Float64Array(0);
  modified = new Float64Array(0);
  hinhThuc = new Float64Array(0);
  status = new Float64Array(0);
  fee = new Float64Array(0);
  paid = new Float64Array(0);
  synced = new Float64Array(0);
  /** The last dossier's NgayCapNhat as text (the feed position). */
  lastModified = '';

  private buf: Buffer = Buffer.alloc(0);
  private at = 0;
  // The value just read.
  private kind: V = V.Missing;
  private num = 0;
  private s0 = 0;
  private s1 = 0;
  /** A string value's hash (for the code cache). */
  private hash = 0;
  private ascii = true;
  /** The key that followed each key (by its index; OBJECT_START: the first key) last time. */
  private readonly follows: (Key | undefined)[] = new Array<Key | undefined>(OBJECT_START + 1);
  /** The index of the key just read (OBJECT_START at a dossier's start; -1: no guess). */
  private previousKey = -1;
  /** Procedure and unit codes repeat on every page: one string each, found by hash and checked byte by byte. */
  private readonly codeCache = new CodeCache();

  /**
   * Decodes `body` if it is a page of the common form whose dossiers come strictly after
   * `after` (NgayCapNhat as 14 digits, MaHoSo; id null: from that instant on), in order.
   * False: nothing decided, parse it with JSON.parse.
   */
  decode(body: Buffer, after: { t: string; id: string | null } | null): boolean {
    this.buf = body;
    try {
      const ok = this.readPage(after);
      this.page = ok ? body : EMPTY;
      return ok;
    } finally {
      this.buf = EMPTY;
    }
  }

  /** The MaHoSo of dossier `i` of the page last decoded, as a string. */
  code(i: number): string {
    return latin1(this.page, this.codeStart[i], this.codeEnd[i]);
  }

  /** Lets go of the page last decoded (its codes are read no more). */
  release(): void {
    this.page = EMPTY;
  }

  private readPage(after: { t: string; id: string | null } | null): boolean {
    const b = this.buf;
    if (b.length < PREFIX.length + 2 || b.compare(PREFIX, 0, PREFIX.length, 0, PREFIX.length) !== 0) return false;
    this.at = PREFIX.length;
    this.count = 0;
    let prevT = after ? timestampNumber(after.t) : -1;
    if (after && prevT < 0) return false;
    // The previous MaHoSo: the position's (a string) before the first dossier, then the previous dossier's bytes.
    const prevId = after?.id ?? null;
    let prev0 = -1;
    let prev1 = -1;
    let inclusive = after !== null && after.id === null;
    if (b[this.at] === CLOSE_BRACKET) this.at += 1;
    else {
      for (;;) {
        if (!this.dossier()) return false;
        // The order check of the JSON path (parsePage), on numbers: 14-digit strings compare as
        // their numbers; ASCII codes compare byte by byte as their strings do.
        const n = this.count - 1;
        const t = this.modified[n];
        const s0 = this.codeStart[n];
        const s1 = this.codeEnd[n];
        if (t < prevT) return false;
        if (t === prevT && !inclusive) {
          const idAfter = prev0 >= 0 ? compareBytes(b, s0, s1, prev0, prev1) > 0 : prevId === null || compareWithText(b, s0, s1, prevId) > 0;
          if (!idAfter) return false;
        }
        prevT = t;
        prev0 = s0;
        prev1 = s1;
        inclusive = false;
        const c = b[this.at++];
        if (c === CLOSE_BRACKET) break;
        if (c !== COMMA) return false;
      }
    }
    if (!this.envelope()) return false;
    if (this.count > 0) this.lastModified = b.toString('latin1', this.lastT0, this.lastT0 + 14);
    return true;
  }

  /** Start of the last dossier's NgayCapNhat digits. */
  private lastT0 = 0;

  /** The rest of the page after the content list: `}` or `,"key":value,...}`, read by JSON.parse (a few dozen bytes). */
  private envelope(): boolean {
    const b = this.buf;
    const c = b[this.at];
    // After a comma, a member must follow (`,}` is no JSON, though `{` + `}` would parse).
    if (c === COMMA ? b[this.at + 1] !== QUOTE : c !== CLOSE_BRACE) return false;
    let rest: Record<string, unknown>;
    try {
      rest = JSON.parse(`{${b.toString('utf8', c === COMMA ? this.at + 1 : this.at)}`) as Record<string, unknown>;
    } catch {
      return false;
    }
    // A second content list would be the one JSON.parse keeps.
    if (Object.prototype.hasOwnProperty.call(rest, 'content')) return false;
    this.totalElements = rest.totalElements;
    return true;
  }

  /** One dossier object, checked; false if the JSON path must decide. */
  private dossier(): boolean {
    const b = this.buf;
    if (b[this.at] !== OPEN_BRACE) return false;
    this.at += 1;
    let seen = 0;
    let code0 = 0;
    let code1 = 0;
    let procedure = '';
    // A unit code's bounds (equal: null, missing or empty).
    let tinh0 = 0;
    let tinh1 = 0;
    let huyen0 = 0;
    let huyen1 = 0;
    let xa0 = 0;
    let xa1 = 0;
    let tinhH = 0;
    let huyenH = 0;
    let xaH = 0;
    let received = 0;
    let due = 0;
    let dueKind: V = V.Missing;
    let resolved = 0;
    let resolvedKind: V = V.Missing;
    let modified = 0;
    let modified0 = 0;
    let hinhThuc = 0;
    let status = 0;
    let fee = 0;
    let paid = 0;
    let synced = 0;
    if (b[this.at] === CLOSE_BRACE) return false; // an empty object lacks MaHoSo
    this.previousKey = OBJECT_START;
    for (;;) {
      const field = this.key();
      if (field < 0) return false;
      if (field & seen) return false;
      seen |= field;
      if (!this.valueOf(field)) return false;
      const kind = this.kind;
      switch (field) {
        case 0:
          break; // a field the gateway does not read
        case F.MaHoSo:
          if (kind !== V.Text) return false;
          if (!this.ascii || this.s1 === this.s0 || this.s1 - this.s0 > 64) return false;
          code0 = this.s0;
          code1 = this.s1;
          break;
        case F.MaTTHC:
          if (kind !== V.Text || !this.ascii) return false;
          procedure = this.codeCache.get(b, this.s0, this.s1, this.hash);
          break;
        case F.MaTinh:
        case F.MaHuyen:
        case F.MaXa:
          // Bounds only: the string is made for the one unit code read (MaXa || MaHuyen || MaTinh).
          if (kind === V.Null && field !== F.MaTinh) break;
          if (kind !== V.Text || !this.ascii) return false;
          if (field === F.MaTinh) {
            tinh0 = this.s0;
            tinh1 = this.s1;
            tinhH = this.hash;
          } else if (field === F.MaHuyen) {
            huyen0 = this.s0;
            huyen1 = this.s1;
            huyenH = this.hash;
          } else {
            xa0 = this.s0;
            xa1 = this.s1;
            xaH = this.hash;
          }
          break;
        case F.NgayTiepNhan:
          if (kind !== V.Timestamp) return false;
          received = this.num;
          break;
        case F.NgayHenTra:
          dueKind = kind;
          due = this.num;
          break;
        case F.NgayTra:
          resolvedKind = kind;
          resolved = this.num;
          break;
        case F.NgayCapNhat:
          if (kind !== V.Timestamp) return false;
          modified = this.num;
          modified0 = this.s0;
          break;
        default:
          // The numeric fields.
          if (kind !== V.Integer) return false;
          if (field === F.HinhThuc) hinhThuc = this.num;
          else if (field === F.TrangThaiHoSo) status = this.num;
          else if (field === F.PhiLePhi) fee = this.num;
          else if (field === F.ThanhToanTrucTuyen) paid = this.num;
          else synced = this.num;
      }
      const c = b[this.at++];
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) return false;
    }
    if ((seen & REQUIRED) !== REQUIRED) return false;
    // NgayHenTra: absent, null, or a timestamp; NgayTra counts only on a resolved dossier (status 4), where it must be one.
    if (dueKind !== V.Missing && dueKind !== V.Null && dueKind !== V.Timestamp) return false;
    // (0 stands for none below; the all-zero timestamp is no calendar day, which the JSON path reports.)
    if (dueKind === V.Timestamp && due === 0) return false;
    if (dueKind !== V.Timestamp) due = 0;
    if (status === 4) {
      if (resolvedKind !== V.Timestamp) return false;
    } else resolved = 0;
    // The unit the JSON path reads: MaXa || MaHuyen || MaTinh (an empty string counts as none).
    const cache = this.codeCache;
    const unit = xa1 > xa0 ? cache.get(b, xa0, xa1, xaH) : huyen1 > huyen0 ? cache.get(b, huyen0, huyen1, huyenH) : tinh1 > tinh0 ? cache.get(b, tinh0, tinh1, tinhH) : '';
    if (unit === '') return false;
    const n = this.count;
    if (n === this.units.length) this.grow();
    this.count = n + 1;
    this.codeStart[n] = code0;
    this.codeEnd[n] = code1;
    this.units[n] = unit;
    this.procedures[n] = procedure;
    this.received[n] = received;
    this.due[n] = due;
    this.resolved[n] = resolved;
    this.modified[n] = modified;
    this.hinhThuc[n] = hinhThuc;
    this.status[n] = status;
    this.fee[n] = fee;
    this.paid[n] = paid;
    this.synced[n] = synced;
    this.lastT0 = modified0;
    return true;
  }

  /** Room for twice as many dossiers. */
  private grow(): void {
    const size = Math.max(64, this.units.length * 2);
    const more = (a: Float64Array) => {
      const next = new Float64Array(size);
      next.set(a);
      return next;
    };
    const moreInt = (a: Int32Array) => {
      const next = new Int32Array(size);
      next.set(a);
      return next;
    };
    this.codeStart = moreInt(this.codeStart);
    this.codeEnd = moreInt(this.codeEnd);
    this.units.length = size;
    this.procedures.length = size;
    this.received = more(this.received);
    this.due = more(this.due);
    this.resolved = more(this.resolved);
    this.modified = more(this.modified);
    this.hinhThuc = more(this.hinhThuc);
    this.status = more(this.status);
    this.fee = more(this.fee);
    this.paid = more(this.paid);
    this.synced = more(this.synced);
  }

  /** `"key":` — the field's bit, 0 for a key the gateway does not read, -1 if not of the plain form. */
  private key(): number {
    const b = this.buf;
    if (b[this.at] !== QUOTE) return -1;
    const start = this.at + 1;
    // A feed writes its keys in one order: the key that followed the previous one last time is
    // tried first (bytes, closing quote and colon), which spares the hash and its lookup.
    const guess = this.previousKey < 0 ? undefined : this.follows[this.previousKey];
    if (guess !== undefined) {
      const kb = guess.bytes;
      const n = kb.length;
      let j = 0;
      while (j < n && kb[j] === b[start + j]) j++;
      if (j === n && b[start + n] === QUOTE && b[start + n + 1] === COLON) {
        this.at = start + n + 2;
        this.previousKey = guess.index;
        return guess.field;
      }
    }
    let i = start;
    let h = 0;
    for (;;) {
      const c = b[i];
      if (c === QUOTE) break;
      if (c === undefined || c === BACKSLASH || c < 0x20) return -1;
      h = (imul(h, 31) + c) | 0;
      i += 1;
    }
    if (b[i + 1] !== COLON) return -1;
    this.at = i + 2;
    const n = i - start;
    for (let at = keyHash(h); ; at = (at + 1) & (KEY_SLOTS - 1)) {
      const k = keySlots[at];
      if (k === undefined) {
        this.previousKey = -1; // after a key the gateway does not read: no guess
        return 0;
      }
      const kb = k.bytes;
      if (kb.length !== n) continue;
      let j = 0;
      while (j < n && kb[j] === b[start + j]) j++;
      if (j === n) {
        if (this.previousKey >= 0) this.follows[this.previousKey] = k;
        this.previousKey = k.index;
        return k.field;
      }
    }
  }

  /**
   * The value of `field`, read only as far as the field needs: a timestamp field's 14 digits
   * straight; any other string (a timestamp field's too, when it is not 14 digits: kind Text),
   * its bounds, with a code's hash for the code cache; values that are no string by value().
   * Why (bench:sync): every byte of every string used to be hashed and tested for digits, which
   * made dossier() 17.5% of the gateway's samples.
   */
  private valueOf(field: number): boolean {
    if (this.buf[this.at] !== QUOTE) return this.value();
    if (field & TIMESTAMP_FIELDS && this.timestamp()) return true;
    if (!this.plainText()) return false;
    if (field & CODE_FIELDS) this.hash = codeHash(this.buf, this.s0, this.s1);
    return true;
  }

  /** `"` + 14 digits + `"`: a timestamp (kind, num, bounds); false, reading nothing, otherwise. */
  private timestamp(): boolean {
    const b = this.buf;
    const start = this.at + 1;
    if (b[start + 14] !== QUOTE) return false;
    let num = 0;
    for (let i = start; i < start + 14; i++) {
      const c = b[i];
      if (c < ZERO || c > NINE) return false;
      num = num * 10 + (c - ZERO);
    }
    this.s0 = start;
    this.s1 = start + 14;
    this.ascii = true;
    this.at = start + 15;
    this.kind = V.Timestamp;
    this.num = num;
    return true;
  }

  /** A string without escapes or control characters: its bounds and whether it is ASCII (kind Text, no hash, no number). */
  private plainText(): boolean {
    const b = this.buf;
    const start = this.at + 1;
    let i = start;
    let ascii = true;
    for (;;) {
      const c = b[i];
      if (c === QUOTE) break;
      if (c === undefined || c === BACKSLASH || c < 0x20) return false;
      if (c > 0x7e) ascii = false;
      i += 1;
    }
    this.s0 = start;
    this.s1 = i;
    this.ascii = ascii;
    this.at = i + 1;
    this.kind = V.Text;
    this.num = 0;
    return true;
  }

  /** A value that is no string (valueOf reads those), its kind in `kind` (integers: `num`). */
  private value(): boolean {
    const b = this.buf;
    const c = b[this.at];
    if ((c >= ZERO && c <= NINE) || c === MINUS) return this.integer();
    if (c === 0x6e) return this.literal('null', V.Null);
    if (c === 0x74) return this.literal('true', V.Other);
    if (c === 0x66) return this.literal('false', V.Other);
    return false; // an object, an array, or not JSON
  }

  private literal(word: string, kind: V): boolean {
    const b = this.buf;
    for (let k = 0; k < word.length; k++) if (b[this.at + k] !== word.charCodeAt(k)) return false;
    this.at += word.length;
    this.kind = kind;
    return true;
  }

  /** An integer of at most 15 digits (a JSON number with a fraction or exponent, or a leading zero, goes to JSON.parse). */
  private integer(): boolean {
    const b = this.buf;
    let i = this.at;
    const negative = b[i] === MINUS;
    if (negative) i += 1;
    const start = i;
    let num = 0;
    for (;;) {
      const c = b[i];
      if (c === undefined || c < ZERO || c > NINE) break;
      num = num * 10 + (c - ZERO);
      i += 1;
    }
    const n = i - start;
    if (n === 0 || n > 15 || (n > 1 && b[start] === ZERO)) return false;
    const next = b[i];
    if (next !== COMMA && next !== CLOSE_BRACE) return false;
    this.at = i;
    this.kind = V.Integer;
    this.num = negative ? -num : num;
    return true;
  }
}

/**
 * Strings of codes by their bytes: open addressing on the bytes' hash, each hit checked
 * character by character. Bounded (a feed names a few thousand procedures and units): once full it
 * starts afresh.
 */
class CodeCache {
  private static readonly SLOTS = 1 << 14;
  private readonly hashes = new Int32Array(CodeCache.SLOTS);
  private readonly strings: (string | undefined)[] = new Array<string | undefined>(CodeCache.SLOTS);
  private size = 0;

  /** The ASCII text of `b` from `start` to `end`, whose hash is `h`. */
  get(b: Buffer, start: number, end: number, h: number): string {
    const mask = CodeCache.SLOTS - 1;
    const n = end - start;
    let at = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const s = this.strings[at];
      if (s === undefined) break;
      if (this.hashes[at] === h && s.length === n) {
        let j = 0;
        while (j < n && s.charCodeAt(j) === b[start + j]) j++;
        if (j === n) return s;
      }
      at = (at + 1) & mask;
    }
    const text = latin1(b, start, end);
    if (this.size * 2 >= CodeCache.SLOTS) {
      this.strings.fill(undefined);
      this.size = 0;
      at = (h ^ (h >>> 15)) & mask;
    }
    this.hashes[at] = h;
    this.strings[at] = text;
    this.size += 1;
    return text;
  }
}

/** The ASCII text of `b` from `start` to `end`. */
function latin1(b: Buffer, start: number, end: number): string {
  return b.toString('latin1', start, end);
}

/** A code's hash for the code cache: `b[start..end]` by the string hash (h * 31 + byte). */
function codeHash(b: Buffer, start: number, end: number): number {
  let h = 0;
  for (let i = start; i < end; i++) h = (imul(h, 31) + b[i]) | 0;
  return h;
}

/** Byte order of `b[a0..a1]` against `b[b0..b1]`: negative, 0 or positive (as their ASCII strings compare). */
function compareBytes(b: Buffer, a0: number, a1: number, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) {
    const d = b[a0 + i] - b[b0 + i];
    if (d !== 0) return d;
  }
  return a1 - a0 - (b1 - b0);
}

/** Order of the ASCII bytes `b[a0..a1]` against the string `s`, by UTF-16 code units as strings compare. */
function compareWithText(b: Buffer, a0: number, a1: number, s: string): number {
  const n = Math.min(a1 - a0, s.length);
  for (let i = 0; i < n; i++) {
    const d = b[a0 + i] - s.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a1 - a0 - s.length;
}

/** A position's 14-digit NgayCapNhat as its number, -1 if it is not one. */
function timestampNumber(s: string): number {
  if (s.length !== 14) return -1;
  let v = 0;
  for (let i = 0; i < 14; i++) {
    const c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    v = v * 10 + (c - ZERO);
  }
  return v;
}
