/**
 * A Bloom filter over strings: "maybe seen" or "certainly not seen", in about 10 bits per item
 * (1% false positives). Used to tell, while streaming, which dossiers may already have been
 * written earlier in the same run, without keeping their numbers.
 */
export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;

  constructor(expected: number, private readonly hashes = 7) {
    this.size = Math.max(1024, Math.ceil(expected * 10));
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  /** Adds `key`; returns whether it may have been added before. */
  add(key: string): boolean {
    // Two FNV-1a style hashes, combined (Kirsch–Mitzenmacher) into `hashes` positions.
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h2 = (h2 ^ (h2 >>> 15)) | 1;
    let seen = true;
    for (let k = 0; k < this.hashes; k++) {
      const bit = ((h1 + Math.imul(k, h2)) >>> 0) % this.size;
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if ((this.bits[word] & mask) === 0) {
        seen = false;
        this.bits[word] |= mask;
      }
    }
    return seen;
  }
}
