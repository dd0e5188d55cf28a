import { SimulatedWorld } from '../../src/simulator';
import { DECREE42_MONTH, REFORM_MONTH } from '../../src/simulator/calendar.util';
import { isFullLevel } from '../../src/simulator/simulator.types';
import { serviceLevelAt } from '../../src/simulator/world.generator';

describe('simulated world', () => {
  const world = new SimulatedWorld(42, 'small');

  it('is deterministic for a seed and differs across seeds', () => {
    const again = new SimulatedWorld(42, 'small');
    const other = new SimulatedWorld(7, 'small');
    const fingerprint = (w: SimulatedWorld): string =>
      JSON.stringify({
        procs: w.procedures.map((p) => [p.code, p.name, p.tier, p.eligibleFullOnline]),
        services: w.services.map((s) => [s.unit.key, s.procedure.code, s.firstMonth, s.levels, s.integratedFrom]),
        plans: w.plans(),
        dossiers: w.countDossiers(),
      });
    expect(fingerprint(again)).toBe(fingerprint(world));
    expect(fingerprint(other)).not.toBe(fingerprint(world));
  });

  it('has a catalogue of 300 local procedures with 25 essential ones, national-style codes and ~85% eligible, plus the ministries\' central ones', () => {
    const local = world.procedures.filter((p) => p.tier !== 'central');
    expect(local).toHaveLength(300);
    expect(local.filter((p) => p.essential)).toHaveLength(25);
    for (const p of world.procedures) expect(p.code).toMatch(/^[12]\.\d{6}$/);
    expect(new Set(world.procedures.map((p) => p.code)).size).toBe(world.procedures.length);
    expect(world.procedures.map((p) => p.code)).toEqual(world.procedures.map((p) => p.code).sort());
    expect(new Set(local.map((p) => p.sector.code)).size).toBeGreaterThanOrEqual(20);
    const eligible = local.filter((p) => p.eligibleFullOnline).length / 300;
    expect(eligible).toBeGreaterThan(0.75);
    expect(eligible).toBeLessThan(0.95);
    expect(world.procedures.find((p) => p.name === 'Đăng ký khai sinh')?.essential).toBe(true);
    const central = world.procedures.filter((p) => p.tier === 'central');
    expect(central.length).toBeGreaterThan(20 * 5);
    for (const p of central) expect(p.ministry).toMatch(/^[A-Z]+$/);
    for (const p of local) expect(p.ministry).toBeNull();
  });

  it('reports every province (63 old, 34 new) and every ministry on the national portal; feeds and exports only for 6 old provinces and their 3 successors', () => {
    const provinces = world.units.filter((u) => u.kind === 'province');
    expect(provinces.filter((u) => u.era === 'old')).toHaveLength(63);
    // The 11 provinces the reform left untouched are one unit throughout (as in the gateway); 23 new ones open on 2025-07-01.
    const lasting = provinces.filter((u) => u.era === 'old' && u.validTo === null);
    expect(lasting.map((u) => u.code)).toEqual(['01', '04', '11', '12', '14', '20', '22', '38', '40', '42', '46']);
    for (const u of lasting) expect(u.lastMonth).toBeGreaterThan(REFORM_MONTH);
    expect(provinces.filter((u) => u.era === 'new')).toHaveLength(23);
    expect(new Set(provinces.filter((u) => u.lastMonth > REFORM_MONTH).map((u) => u.code)).size).toBe(34);
    expect(world.feedProvinceCodes()).toEqual(['30', '31', '72', '80', '95', '96']);
    expect(world.unit('80@old')?.name).toBe('Tỉnh Long An');
    expect(world.unit('80@old')?.validTo).toBe('2025-06-30');
    expect(world.unit('80@new')?.validFrom).toBe('2025-07-01');
    expect(world.unit('80@new')?.name).toBe('Tỉnh Tây Ninh');
    for (const u of provinces) {
      const n = world.servicesOfUnit(u.key).length;
      // Feed provinces in full; the others with tens of services.
      const [lo, hi] = world.hasFeed(u.code) ? [40, 80] : [14, 20];
      expect(n).toBeGreaterThanOrEqual(lo);
      expect(n).toBeLessThanOrEqual(hi);
    }
    const communes = world.units.filter((u) => u.kind === 'commune');
    expect(communes.length).toBeGreaterThan(0);
    for (const c of communes) {
      expect(c.code).toMatch(/^\d{5}$/);
      expect(world.hasFeed(c.provinceCode)).toBe(true);
    }
  });

  it('simulates the ministries of the reference list with the 1 March 2025 restructuring', () => {
    const ministries = world.units.filter((u) => u.kind === 'ministry');
    expect(ministries).toHaveLength(24);
    expect(world.unit('BKHDT@old')).toMatchObject({ validFrom: null, validTo: '2025-02-28' });
    expect(world.unit('BNNMT@new')).toMatchObject({ validFrom: '2025-03-01', validTo: null });
    expect(world.unit('BTC@old')).toMatchObject({ validFrom: null, validTo: null });
    // Every ministry offers services; a closed one's procedures go on at its successor from 2025-03.
    for (const m of ministries) expect(world.servicesOfUnit(m.key).length).toBeGreaterThan(0);
    const restructuring = 86; // 2025-03
    const planning = world.servicesOfUnit('BKHDT@old');
    const finance = world.servicesOfUnit('BTC@old');
    for (const s of planning) {
      expect(s.lastMonth).toBe(restructuring - 1);
      const taken = finance.find((f) => f.procedure.code === s.procedure.code);
      expect(taken?.firstMonth).toBe(restructuring);
      // The successor continues the level the predecessor had.
      // It continues the predecessor's history (same timeline): levels never go down.
      expect(serviceLevelAt(taken!, restructuring)).toBeGreaterThanOrEqual(serviceLevelAt(s, restructuring - 1));
    }
    const opened = world.servicesOfUnit('BNNMT@new');
    expect(opened.map((s) => s.procedure.ministry).sort()).toEqual(
      [...world.servicesOfUnit('BNNPTNT@old'), ...world.servicesOfUnit('BTNMT@old')].map((s) => s.procedure.ministry).sort(),
    );
    // Partial successors share a closed ministry's procedures: each goes to exactly one.
    const labour = world.servicesOfUnit('BLDTBXH@old').map((s) => s.procedure.code);
    const heirs = ['BNV@old', 'BYT@old', 'BGDDT@old'].flatMap((k) => world.servicesOfUnit(k).filter((s) => s.procedure.ministry === 'BLDTBXH').map((s) => s.procedure.code));
    expect(heirs.sort()).toEqual([...labour].sort());
    // Ministries plan too, numbered by their own code.
    const ministryPlans = world.plans(2021).filter((p) => !/^\d+$/.test(p.agencyCode));
    expect(ministryPlans.length).toBeGreaterThan(10);
    for (const p of ministryPlans) expect(p.documentNumber.endsWith(`/KH-${p.agencyCode}`)).toBe(true);
  });

  it('dates levels on the first of a month, Decree 43 levels before 2022-07 and Decree 42 after', () => {
    // Problems are collected and compared once: an expect per level of 2,000 services took seconds.
    const problems: string[] = [];
    for (const s of world.services) {
      for (let k = 0; k < s.levels.length; k += 2) {
        const [month, level] = [s.levels[k], s.levels[k + 1]];
        if (month < DECREE42_MONTH ? level > 4 : level < 5) problems.push(`${s.unit.key} ${s.procedure.code}: level ${level} in month ${month}`);
        if (k > 0 && month <= s.levels[k - 2]) problems.push(`${s.unit.key} ${s.procedure.code}: months not ascending`);
      }
      if (s.unit.era === 'new' && s.unit.kind !== 'ministry' && s.firstMonth !== REFORM_MONTH) problems.push(`${s.unit.key} ${s.procedure.code}: starts in ${s.firstMonth}`);
      if (!s.procedure.eligibleFullOnline) {
        for (let m = s.firstMonth; m <= Math.min(s.lastMonth, 95); m++) if (isFullLevel(serviceLevelAt(s, m))) problems.push(`${s.unit.key} ${s.procedure.code}: ineligible at full level in ${m}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('raises the level-4 share from a few percent in 2018 to most services by 2022', () => {
    const old = world.services.filter((s) => s.unit.era === 'old' && s.unit.kind === 'province');
    const share = (m: number): number => old.filter((s) => serviceLevelAt(s, m) === 4).length / old.filter((s) => serviceLevelAt(s, m) > 0).length;
    expect(share(0)).toBeLessThan(0.1);
    expect(share(53)).toBeGreaterThan(0.5);
  });

  it('issues yearly plans with KH-UBND numbers (ministries: KH-<code>), some late, some missing', () => {
    const plans = world.plans(2021);
    const provinces = plans.filter((p) => /^\d+$/.test(p.agencyCode));
    expect(provinces.length).toBeGreaterThan(50);
    expect(provinces.length).toBeLessThanOrEqual(63);
    for (const p of plans) {
      expect(p.documentNumber).toMatch(/^\d+\/KH-(UBND|[A-Z]+)$/);
      expect(p.documentNumber.endsWith('/KH-UBND')).toBe(/^\d+$/.test(p.agencyCode));
      expect(p.title).toContain('năm 2021');
      expect(p.dueDate).toBe('2021-09-10');
    }
    // A closed ministry plans only for years due in its life; an opened one from 2025.
    expect(world.plans().filter((p) => p.agencyCode === 'BKHDT').every((p) => p.year <= 2024)).toBe(true);
    expect(world.plans().filter((p) => p.agencyCode === 'BNNMT').every((p) => p.year >= 2025)).toBe(true);
    const all = world.plans();
    expect(all.some((p) => p.issuedDate > p.dueDate)).toBe(true);
  });

  it('keeps the small feeds under 50,000 dossiers, the same as when only their provinces were simulated', () => {
    const codes = world.feedProvinceCodes();
    const total = codes.reduce((sum, c) => sum + world.countDossiers(c), 0);
    // 35,633 before the national portal covered the nation: the feed provinces did not change.
    expect(total).toBe(35_633);
    expect(codes.reduce((sum, c) => sum + world.feed.total(c), 0)).toBe(total);
    // The whole nation stays modest (it is what the first start syncs).
    expect(world.services.length).toBeLessThan(2_300);
    expect(world.countDossiers()).toBeLessThan(120_000);
  });

  it('national scale: ≥ 100,000 services and ≥ 5,000,000 dossiers, counted without materialising them', () => {
    const national = new SimulatedWorld(42, 'national');
    expect(national.services.length).toBeGreaterThanOrEqual(100_000);
    for (const u of national.units.filter((x) => x.kind === 'province' && x.era === 'old')) {
      const n = national.servicesOfUnit(u.key).length;
      expect(n).toBeGreaterThanOrEqual(1200);
      expect(n).toBeLessThanOrEqual(2000);
    }
    expect(national.units.filter((u) => u.kind === 'province' && u.era === 'old')).toHaveLength(63);
    // 23 new provinces, and the 11 the reform left untouched go on.
    expect(national.units.filter((u) => u.kind === 'province' && u.era === 'new')).toHaveLength(23);
    expect(national.countDossiers()).toBeGreaterThanOrEqual(5_000_000);
  });
});
