import { describe, expect, it } from 'vitest';
import { pick } from './verify';

describe('pick (the chunks verify samples)', () => {
  const ids = Array.from({ length: 1000 }, (_, i) => `id-${String(i).padStart(4, '0')}`);

  it('takes the share asked for, rounded up, at least one, in the given order', () => {
    expect(pick([], 5)).toEqual([]);
    expect(pick(ids.slice(0, 3), 5)).toHaveLength(1);
    const sample = pick(ids, 5);
    expect(sample).toHaveLength(50);
    expect(new Set(sample).size).toBe(50);
    expect([...sample].sort()).toEqual(sample);
    expect(sample.every((id) => ids.includes(id))).toBe(true);
    expect(pick(ids, 0.15)).toHaveLength(2);
    expect(pick(ids, 100)).toEqual(ids);
  });

  it('draws a different sample each time', () => {
    const drawn = new Set(Array.from({ length: 5 }, () => pick(ids, 5).join()));
    expect(drawn.size).toBeGreaterThan(1);
  });
});
