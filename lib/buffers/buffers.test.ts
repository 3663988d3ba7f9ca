import { describe, expect, it } from 'vitest';
import { ReusedBuffers } from '.';

describe('ReusedBuffers', () => {
  it('reuses a buffer given back, for an equal or smaller size, and never one still out', () => {
    const buffers = new ReusedBuffers(2);
    const a = buffers.take(5_000_000);
    expect(a.length).toBe(5_000_000);
    const b = buffers.take(5_000_000);
    // Both out at once: distinct memory.
    expect(b.buffer).not.toBe(a.buffer);
    buffers.give(a);
    const c = buffers.take(4_000_000);
    expect(c.length).toBe(4_000_000);
    expect(c.buffer).toBe(a.buffer);
    // Rounded up to 4 MiB steps: a 5,000,000-byte buffer has room for 8 MiB.
    buffers.give(c);
    expect(buffers.take(8 * 1024 * 1024).buffer).toBe(a.buffer);
    // Larger than any kept: a new one.
    buffers.give(b);
    expect(buffers.take(9 * 1024 * 1024).buffer).not.toBe(b.buffer);
  });

  it('ignores buffers it did not hand out, a second give of the same one, and keeps at most `keep`', () => {
    const buffers = new ReusedBuffers(1);
    buffers.give(Buffer.alloc(10));
    const a = buffers.take(10);
    expect(a.buffer.byteLength).toBe(4 * 1024 * 1024);
    const b = buffers.take(10);
    buffers.give(a);
    buffers.give(a);
    buffers.give(b);
    // Only a was kept (keep = 1), and only once: two takes get a, then a new buffer.
    const first = buffers.take(10);
    const second = buffers.take(10);
    expect(first.buffer).toBe(a.buffer);
    expect(second.buffer).not.toBe(a.buffer);
    expect(second.buffer).not.toBe(b.buffer);
  });

  it('drops the kept buffers after the idle time', async () => {
    const buffers = new ReusedBuffers(2, 20);
    const a = buffers.take(10);
    buffers.give(a);
    await new Promise((r) => setTimeout(r, 60));
    expect(buffers.take(10).buffer).not.toBe(a.buffer);
  });
});
