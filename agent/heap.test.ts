import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { limitGarbage, withRoomyHeap } from './heap';

describe('withRoomyHeap', () => {
  afterEach(() => vi.restoreAllMocks());

  it('raises the heap growing factor for the work and puts it back, also when the work fails', async () => {
    const set = vi.spyOn(v8, 'setFlagsFromString');
    await expect(withRoomyHeap(400, async () => 'backed up')).resolves.toBe('backed up');
    expect(set.mock.calls).toEqual([['--heap-growing-percent=400'], ['--heap-growing-percent=0']]);
    set.mockClear();
    await expect(
      withRoomyHeap(250, async () => {
        throw new Error('the portal went away');
      }),
    ).rejects.toThrow('the portal went away');
    expect(set.mock.calls).toEqual([['--heap-growing-percent=250'], ['--heap-growing-percent=0']]);
  });
});

describe('limitGarbage', () => {
  afterEach(() => vi.restoreAllMocks());

  it('does nothing while buffers hold less than the limit, and frees garbage buffers once they hold more', async () => {
    const set = vi.spyOn(v8, 'setFlagsFromString');
    expect(limitGarbage(Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(set).not.toHaveBeenCalled();

    // 160 MiB of buffers, garbage once dropped (and kept past a few turns of the event loop first).
    let garbage: Buffer[] | undefined = Array.from({ length: 160 }, () => Buffer.alloc(1024 * 1024, 1));
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(garbage.length).toBe(160);
    garbage = undefined;
    const before = process.memoryUsage().arrayBuffers;
    expect(before).toBeGreaterThan(160 * 1024 * 1024);
    expect(limitGarbage(64 * 1024 * 1024)).toBe(true);
    expect(set).toHaveBeenCalledWith('--expose-gc');
    let after = process.memoryUsage().arrayBuffers;
    for (let tries = 0; tries < 100 && after > before - 128 * 1024 * 1024; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = process.memoryUsage().arrayBuffers;
    }
    expect(after).toBeLessThan(before - 128 * 1024 * 1024);
  });
});
