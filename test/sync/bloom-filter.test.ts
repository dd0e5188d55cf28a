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
});
