import { writeTimestamp } from './calendar.util';

// Math functions bound once at module level: under jest every global lookup (Math) goes through
// the vm context's interceptor and costs ~100x more, which made the suite crawl.
const { floor, max } = Math;

/**
 * Grows a Buffer of ASCII text. The dossier feed writes its JSON straight into one of these: per
 * dossier JS strings made the young generation churn (each page's strings survive until the page
 * is joined), and byte writes keep the national benchmark CPU-bound on generation instead of GC.
 * Callers only pass ASCII (codes, digits, JSON punctuation).
 */
export class AsciiWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(capacity = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  ascii(text: string): this {
    const n = text.length;
    this.ensure(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
    return this;
  }

  /** Any text, UTF-8 encoded (for the rare non-ASCII pieces). */
  utf8(text: string): this {
    const bytes = Buffer.byteLength(text, 'utf8');
    this.ensure(bytes);
    this.pos += this.buf.write(text, this.pos, 'utf8');
    return this;
  }

  bytes(data: Uint8Array): this {
    const n = data.length;
    this.ensure(n);
    if (n > 24) {
      this.buf.set(data, this.pos);
      this.pos += n;
      return this;
    }
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = data[i];
    this.pos = pos;
    return this;
  }

  byte(code: number): this {
    this.ensure(1);
    this.buf[this.pos++] = code;
    return this;
  }

  /** Non-negative integer in decimal. */
  uint(value: number): this {
    this.ensure(16);
    const buf = this.buf;
    if (value < 10) {
      buf[this.pos++] = 48 + value;
      return this;
    }
    let digits = 0;
    for (let v = value; v >= 1; v = floor(v / 10)) digits++;
    let pos = this.pos + digits;
    this.pos = pos;
    for (let v = value; v >= 1; v = floor(v / 10)) buf[--pos] = 48 + (v % 10);
    return this;
  }

  /** `yyyyMMddHHmmss` (local simulated seconds). */
  timestamp(sec: number): this {
    this.ensure(14);
    this.pos = writeTimestamp(this.buf, this.pos, sec);
    return this;
  }

  /** The bytes written so far (shares memory with the writer). */
  toBuffer(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
