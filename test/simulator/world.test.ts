import { SimulatedWorld } from '../../src/simulator';
import { DECREE42_MONTH, REFORM_MONTH } from '../../src/simulator/calendar.util';
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

  it('has a catalogue of ~300 procedures with 25 essential ones, national-style codes and ~85% eligible', () => {
    expect(world.procedures).toHaveLength(300);
    expect(world.procedures.filter((p) => p.essential)).toHaveLength(25);
    for (const p of world.procedures) expect(p.code).toMatch(/^[12]\.\d{6}$/);
    expect(new Set(world.procedures.map((p) => p.code)).size).toBe(300);
    expect(new Set(world.procedures.map((p) => p.sector.code)).size).toBeGreaterThanOrEqual(20);
    const eligible = world.procedures.filter((p) => p.eligibleFullOnline).length / 300;
    expect(eligible).toBeGreaterThan(0.75);
    expect(eligible).toBeLessThan(0.95);
    expect(world.procedures.find((p) => p.name === 'Đăng ký khai sinh')?.essential).toBe(true);
  });

  it('uses the real units: 6 old provinces (incl. 72, 80) before the reform and their 3 successors after', () => {
    const provinces = world.units.filter((u) => u.kind === 'province');
    expect(provinces.filter((u) => u.era === 'old').map((u) => u.code)).toEqual(['30', '31', '72', '80', '95', '96']);
    expect(provinces.filter((u) => u.era === 'new').map((u) => `${u.code} ${u.name}`)).toEqual(['31 Thành phố Hải Phòng', '80 Tỉnh Tây Ninh', '96 Tỉnh Cà Mau']);
    expect(world.unit('80@old')?.name).toBe('Tỉnh Long An');
    expect(world.unit('80@old')?.validTo).toBe('2025-06-30');
    expect(world.unit('80@new')?.validFrom).toBe('2025-07-01');
    for (const u of provinces) {
      const n = world.servicesOfUnit(u.key).length;
      expect(n).toBeGreaterThanOrEqual(40);
      expect(n).toBeLessThanOrEqual(80);
    }
    const communes = world.units.filter((u) => u.kind === 'commune');
    expect(communes.length).toBeGreaterThan(0);
    for (const c of communes) expect(c.code).toMatch(/^\d{5}$/);
  });

  it('dates levels on the first of a month, Decree 43 levels before 2022-07 and Decree 42 after', () => {
    for (const s of world.services) {
      for (let k = 0; k < s.levels.length; k += 2) {
        const [month, level] = [s.levels[k], s.levels[k + 1]];
        if (month < DECREE42_MONTH) expect([1, 2, 3, 4]).toContain(level);
        else expect([5, 6, 7]).toContain(level);
        if (k > 0) expect(month).toBeGreaterThan(s.levels[k - 2]);
      }
      if (s.unit.era === 'new') expect(s.firstMonth).toBe(REFORM_MONTH);
      if (!s.procedure.eligibleFullOnline) {
        for (let m = s.firstMonth; m <= Math.min(s.lastMonth, 95); m++) expect([4, 7]).not.toContain(serviceLevelAt(s, m));
      }
    }
  });

  it('raises the level-4 share from a few percent in 2018 to most services by 2022', () => {
    const old = world.services.filter((s) => s.unit.era === 'old' && s.unit.kind === 'province');
    const share = (m: number): number => old.filter((s) => serviceLevelAt(s, m) === 4).length / old.filter((s) => serviceLevelAt(s, m) > 0).length;
    expect(share(0)).toBeLessThan(0.1);
    expect(share(53)).toBeGreaterThan(0.5);
  });

  it('issues yearly plans with KH-UBND numbers, some late, some missing', () => {
    const plans = world.plans(2021);
    expect(plans.length).toBeGreaterThan(0);
    expect(plans.length).toBeLessThanOrEqual(6);
    for (const p of plans) {
      expect(p.documentNumber).toMatch(/^\d+\/KH-UBND$/);
      expect(p.title).toContain('năm 2021');
      expect(p.dueDate).toBe('2021-09-10');
    }
    const all = world.plans();
    expect(all.some((p) => p.issuedDate > p.dueDate)).toBe(true);
  });

  it('keeps the small feed under 50,000 dossiers', () => {
    const total = world.countDossiers();
    expect(total).toBeGreaterThan(20_000);
    expect(total).toBeLessThanOrEqual(50_000);
    expect(world.provinceCodes().reduce((sum, c) => sum + world.feed.total(c), 0)).toBe(total);
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
    expect(national.units.filter((u) => u.kind === 'province' && u.era === 'new')).toHaveLength(34);
    expect(national.countDossiers()).toBeGreaterThanOrEqual(5_000_000);
  });
});
