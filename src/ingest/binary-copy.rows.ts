// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs far more (see src/simulator/ascii.writer.ts).
const { floor, max } = Math;

/** The binary COPY header: signature, flags (no OIDs), no header extension. */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const TWO_32 = 2 ** 32;
/** Days from 1970-01-01 (the civil-days formula's epoch) to 2000-01-01 (PostgreSQL's date epoch). */
const PG_EPOCH_DAYS = 10957;

/**
 * A day yyyymmdd (a valid calendar day) as PostgreSQL stores a date: days since 2000-01-01
 * (the proleptic Gregorian count of days_from_civil, H. Hinnant, shifted to PostgreSQL's epoch).
 */
export function pgDate(day: number): number {
  let y = floor(day / 10000);
  const m = floor(day / 100) % 100;
  const d = day % 100;
  if (m <= 2) y -= 1;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468 - PG_EPOCH_DAYS;
}

/**
 * Rows in PostgreSQL's binary COPY format, written as bytes into one growing buffer (no string
 * per row, no encoding before the COPY). Binary because the server then parses nothing: a
 * dossier's four dates and two integers cost PostgreSQL about three times more CPU as text
 * (COPY of a province's 328,171 dossiers: 510 ms text, 170 ms binary, backend CPU; DecodeDate
 * alone was a tenth of the sync's backend profile).
 *
 * The fields of a row must be written in the table's column order with the columns' exact
 * types (int4, int2, int8, date, text/varchar): binary COPY converts nothing. The buffer is
 * reused: bytes() is valid until the next write or clear(), so a caller hands it to a COPY
 * (`... FROM STDIN (FORMAT binary)`) and awaits the COPY before writing more.
 */
export class BinaryCopyRows {
  private buf: Buffer;
  private at = HEADER.length;
  /** Rows written since the last clear(). */
  rows = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(max(initialBytes, 64));
    HEADER.copy(this.buf, 0);
  }

  /** Bytes of the rows written since the last clear() (0: nothing to COPY). */
  get length(): number {
    return this.at - HEADER.length;
  }

  /** The whole COPY stream: header, rows, trailer (a view of the buffer: valid until the next write or clear()). */
  bytes(): Buffer {
    this.room(2);
    this.buf[this.at] = 0xff;
    this.buf[this.at + 1] = 0xff;
    return this.buf.subarray(0, this.at + 2);
  }

  /**
   * The rows written since the last clear(), without header or trailer, as a copy: the pieces of
   * a COPY streamed in several writes (streamStart(), these, streamEnd()).
   */
  rowBytes(): Buffer {
    return Buffer.from(this.buf.subarray(HEADER.length, this.at));
  }

  /** The header a COPY stream of rowBytes() pieces begins with. */
  static streamStart(): Buffer {
    return Buffer.from(HEADER);
  }

  /** The trailer it ends with. */
  static streamEnd(): Buffer {
    return Buffer.from([0xff, 0xff]);
  }

  clear(): void {
    this.at = HEADER.length;
    this.rows = 0;
  }

  /** Room for `n` more bytes. */
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  /**
   * Four bytes, big-endian, at `at` (a typed array store keeps the low 8 bits of each shift:
   * plain stores, cheaper than Buffer's checked writeInt32BE on this path).
   */
  private put32(at: number, v: number): void {
    const b = this.buf;
    b[at] = v >>> 24;
    b[at + 1] = v >>> 16;
    b[at + 2] = v >>> 8;
    b[at + 3] = v;
  }

  /** Starts a row of `fields` fields. */
  row(fields: number): this {
    this.room(2);
    this.buf[this.at] = fields >>> 8;
    this.buf[this.at + 1] = fields;
    this.at += 2;
    this.rows += 1;
    return this;
  }

  /** An int4 field. */
  int4(v: number): this {
    this.room(8);
    this.put32(this.at, 4);
    this.put32(this.at + 4, v);
    this.at += 8;
    return this;
  }

  /** An int2 field. */
  int2(v: number): this {
    this.room(6);
    this.put32(this.at, 2);
    this.buf[this.at + 4] = v >>> 8;
    this.buf[this.at + 5] = v;
    this.at += 6;
    return this;
  }

  /** An int8 field holding a non-negative safe integer. */
  int8(v: number): this {
    this.room(12);
    this.put32(this.at, 8);
    this.put32(this.at + 4, floor(v / TWO_32));
    this.put32(this.at + 8, v % TWO_32);
    this.at += 12;
    return this;
  }

  /** A date field, from a valid calendar day yyyymmdd. */
  date(day: number): this {
    return this.int4(pgDate(day));
  }

  /** A date field of the first of the month of a day yyyymmdd. */
  monthOf(day: number): this {
    return this.int4(pgDate(day - (day % 100) + 1));
  }

  /** A date field, or NULL when there is no day. */
  dateOrNull(day: number | null): this {
    return day === null ? this.nul() : this.date(day);
  }

  /** A NULL field. */
  nul(): this {
    this.room(4);
    this.put32(this.at, -1);
    this.at += 4;
    return this;
  }

  /** A text (or varchar) field, as UTF-8: binary COPY takes it as it is, no escapes. */
  text(s: string): this {
    const n = s.length;
    this.room(4 + n);
    const b = this.buf;
    const start = this.at + 4;
    let at = start;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) return this.utf8(s);
      b[at++] = c;
    }
    this.put32(this.at, n);
    this.at = at;
    return this;
  }

  /** A text field of the ASCII bytes `b[start..end]` (the caller checked them: written as they are). */
  asciiText(b: Uint8Array, start: number, end: number): this {
    const n = end - start;
    this.room(4 + n);
    this.put32(this.at, n);
    const out = this.buf;
    let at = this.at + 4;
    for (let i = start; i < end; i++) out[at++] = b[i];
    this.at = at;
    return this;
  }

  /** The rare text beyond ASCII. */
  private utf8(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.room(4 + n);
    this.put32(this.at, n);
    this.at += 4 + this.buf.write(s, this.at + 4, 'utf8');
    return this;
  }
}
