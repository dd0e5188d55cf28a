/**
 * A synchronous least-recently-used map bounded in bytes, for per-process memos on the request
 * path (a check's verdict on a document text): no promise per lookup, unlike the async
 * KeyValueCache Apollo's caches use. Sizes are estimates the caller gives (`sizeOf`); an entry
 * larger than the whole bound is not kept. Map keeps insertion order, so the first key is the
 * least recently used once every hit is moved to the end.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (key: K, value: V) => number,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    const bytes = this.sizeOf(key, value);
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.bytes;
    }
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }

  /** Bytes held, as estimated by sizeOf. */
  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.entries.size;
  }
}

/** V8 holds most strings as two bytes a character (one for pure Latin-1, but GraphQL texts with Vietnamese are not). */
export const stringBytes = (s: string): number => 2 * s.length;
