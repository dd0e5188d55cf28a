import { BloomFilter } from '../../src/ingest/bloom.filter';

describe('Bloom filter (which dossiers of a first load may repeat)', () => {
  const ids = Array.from({ length: 200_000 }, (_, i) => `${String(27685 + (i % 500)).padStart(5, '0')}-2305-${String(i % 1200).padStart(4, '0')}-${String(i).padStart(6, '0')}`);

  it('never says "new" for a key it has seen', () => {
    const bloom = new BloomFilter(ids.length);
    for (const id of ids) bloom.add(id);
    expect(ids.filter((id) => !bloom.add(id))).toEqual([]);
  });

  it('says "maybe seen" for few new keys, even past its expected size', () => {
    const bloom = new BloomFilter(ids.length);
    const falsePositives = ids.filter((id) => bloom.add(id)).length;
    expect(falsePositives / ids.length).toBeLessThan(0.01);
    // Twice as many keys as it was sized for: worse, still usable (those take the exact path).
    const small = new BloomFilter(ids.length / 2);
    expect(ids.filter((id) => small.add(id)).length / ids.length).toBeLessThan(0.1);
  });

  it('reads a key the same as a string and as its ASCII bytes (a run mixes JSON and decoded pages)', () => {
    const page = Buffer.from(`["${ids.join('","')}"]`, 'latin1');
    const bloom = new BloomFilter(ids.length);
    let at = 2;
    const bytesSeen: boolean[] = [];
    ids.forEach((id, i) => {
      // Even keys as strings first, odd ones as bytes first; then each the other way: always "maybe seen".
      if (i % 2 === 0) bloom.add(id);
      else bloom.addAscii(page, at, at + id.length);
      bytesSeen.push(i % 2 === 0 ? bloom.addAscii(page, at, at + id.length) : bloom.add(id));
      at += id.length + 3;
    });
    expect(bytesSeen.every(Boolean)).toBe(true);
    // And new keys by bytes are mostly "new", as by strings.
    const fresh = new BloomFilter(ids.length);
    at = 2;
    let maybe = 0;
    for (const id of ids) {
      if (fresh.addAscii(page, at, at + id.length)) maybe += 1;
      at += id.length + 3;
    }
    expect(maybe / ids.length).toBeLessThan(0.01);
  });
});
