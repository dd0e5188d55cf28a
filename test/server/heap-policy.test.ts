import { BASE_GROWING_PERCENT, BULK_GROWING_PERCENT, HeapPolicy } from '../../src/server/heap-policy';

describe('heap policy (V8 heap growth: base between syncs, bulk while one runs)', () => {
  const recording = () => {
    const applied: number[] = [];
    return { applied, policy: new HeapPolicy((p) => applied.push(p)) };
  };

  it('applies the base factor at once, the bulk one while loads run, and the base again when the last ends', async () => {
    const { applied, policy } = recording();
    expect(applied).toEqual([BASE_GROWING_PERCENT]);
    let release!: () => void;
    const first = policy.during(() => new Promise<string>((resolve) => (release = () => resolve('first'))));
    expect(policy.current).toBe(BULK_GROWING_PERCENT);
    // A second load while the first runs keeps the bulk factor; it ends first.
    await expect(policy.during(async () => 'second')).resolves.toBe('second');
    expect(policy.current).toBe(BULK_GROWING_PERCENT);
    release();
    await expect(first).resolves.toBe('first');
    expect(policy.current).toBe(BASE_GROWING_PERCENT);
    expect(applied).toEqual([BASE_GROWING_PERCENT, BULK_GROWING_PERCENT, BASE_GROWING_PERCENT]);
  });

  it('comes back to the base factor when a load throws, and passes the error on', async () => {
    const { applied, policy } = recording();
    await expect(policy.during(async () => { throw new Error('upstream down'); })).rejects.toThrow('upstream down');
    expect(applied).toEqual([BASE_GROWING_PERCENT, BULK_GROWING_PERCENT, BASE_GROWING_PERCENT]);
  });

  it('leaves V8 alone when the command line chose the factor', async () => {
    const policy = HeapPolicy.forProcess(['--heap-growing-percent=80']);
    expect(policy.current).toBeNull();
    await policy.during(async () => expect(policy.current).toBeNull());
    expect(HeapPolicy.forProcess(['--heap_growing_percent=80']).current).toBeNull();
  });

  it('applies its factor when the command line names other flags only', () => {
    expect(HeapPolicy.forProcess(['--enable-source-maps', '--max-old-space-size=512']).current).toBe(BASE_GROWING_PERCENT);
  });
});
