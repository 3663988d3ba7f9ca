import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Admission, isPageRender } from './admission';

/** A response: emits 'close' once, when it ends or the client goes away. */
const response = () => new EventEmitter();
const close = (res: EventEmitter) => res.emit('close');
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('Admission', () => {
  it('admits up to the limit at once, then in arrival order as earlier ones close', async () => {
    const gate = new Admission(2);
    const [a, b, c, d] = [response(), response(), response(), response()];
    const order: string[] = [];
    const track = (name: string, res: EventEmitter) => gate.admit(res).then((ok) => ok && order.push(name));
    const all = Promise.all([track('a', a), track('b', b), track('c', c), track('d', d)]);
    await settled();
    expect(order).toEqual(['a', 'b']);
    expect([gate.active, gate.waiting]).toEqual([2, 2]);

    close(b);
    await settled();
    expect(order).toEqual(['a', 'b', 'c']);
    close(a);
    await settled();
    expect(order).toEqual(['a', 'b', 'c', 'd']);
    expect([gate.active, gate.waiting]).toEqual([2, 0]);

    close(c);
    close(d);
    await all;
    expect([gate.active, gate.waiting]).toEqual([0, 0]);
  });

  it('drops a request whose client went away while it waited, without leaking its turn', async () => {
    const gate = new Admission(1);
    const [first, gone, next] = [response(), response(), response()];
    expect(await gate.admit(first)).toBe(true);
    const goneTurn = gate.admit(gone);
    const nextTurn = gate.admit(next);
    close(gone);
    expect(await goneTurn).toBe(false);
    expect(gate.waiting).toBe(1);

    close(first);
    expect(await nextTurn).toBe(true);
    expect([gate.active, gate.waiting]).toEqual([1, 0]);
    close(next);
    expect(gate.active).toBe(0);
    // The slot is free again for whoever comes next.
    expect(await gate.admit(response())).toBe(true);
  });

  it('lets the next one in when a render has held its turn too long, and counts that one only once', async () => {
    const gate = new Admission(1, 50);
    const [stuck, next] = [response(), response()];
    expect(await gate.admit(stuck)).toBe(true);
    const started = Date.now();
    expect(await gate.admit(next)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    expect([gate.active, gate.waiting]).toEqual([1, 0]);
    // The stuck render ends at last: its turn was given up already, so the count stays right.
    close(stuck);
    expect(gate.active).toBe(1);
    close(next);
    expect(gate.active).toBe(0);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new Admission(0)).toThrow(RangeError);
    expect(() => new Admission(1.5)).toThrow(RangeError);
  });
});

describe('isPageRender', () => {
  it('is a GET or HEAD of a page, not of the APIs, the ARM API or files', () => {
    for (const url of ['/', '/recovery-services', '/recovery-services?after=x', '/settings/tokens', '/signin']) {
      expect(isPageRender('GET', url), url).toBe(true);
    }
    expect(isPageRender('HEAD', '/operation-logs')).toBe(true);
    expect(isPageRender('POST', '/recovery-services')).toBe(false);
    for (const url of [
      '/api/operations',
      '/api/health',
      '/_next/static/chunks/a.js',
      '/downloads/recovery-services-agent.mjs',
      '/icons/icon.svg',
      '/favicon.ico',
      '/subscriptions/abc/resourceGroups',
      '/Subscriptions/abc',
    ]) {
      expect(isPageRender('GET', url), url).toBe(false);
    }
    expect(isPageRender('GET', undefined)).toBe(false);
  });
});
