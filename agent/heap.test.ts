import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withRoomyHeap } from './heap';

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
