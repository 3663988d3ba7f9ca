import { describe, expect, it } from 'vitest';
import { PortalError } from '@/lib/errors';
import { Faults } from './faults';

describe('fault rules', () => {
  it('cost nothing and change nothing without rules', async () => {
    const faults = new Faults();
    await expect(faults.check('vault.create')).resolves.toBeUndefined();
    expect(faults.list()).toEqual([]);
  });

  it('fail the named operation with the message the user sees, as often as told, and count each firing', async () => {
    const faults = new Faults();
    faults.add({ operation: 'vault.create', message: 'The region is busy.', times: 2 });
    await expect(faults.check('vault.delete')).resolves.toBeUndefined();
    for (let i = 0; i < 2; i++) {
      const err = await faults.check('vault.create').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PortalError);
      expect((err as PortalError).message).toBe('The region is busy.');
    }
    await expect(faults.check('vault.create')).resolves.toBeUndefined();
    expect(faults.list()).toMatchObject([{ operation: 'vault.create', fired: 2, times: 2 }]);
  });

  it('delay without failing, and apply to the share of calls their probability names', async () => {
    const faults = new Faults();
    faults.add({ operation: 'backup.commit', delayMs: 50 });
    const start = performance.now();
    await faults.check('backup.commit');
    expect(performance.now() - start).toBeGreaterThanOrEqual(45);
    faults.clear();
    faults.add({ operation: 'backup.commit', message: 'never', probability: 0 });
    for (let i = 0; i < 20; i++) await faults.check('backup.commit');
    expect(faults.list()[0]!.fired).toBe(0);
  });
});
