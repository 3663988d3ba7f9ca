import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReusedBuffers } from './buffers';
import { exchange, UnframedAnswer } from './connections';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** A server on a free loopback port; closed (with its connections) after the test. */
async function listen<S extends http.Server | net.Server>(server: S): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        (server as http.Server).closeAllConnections?.();
        server.close(() => resolve());
      }),
  );
  return new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/x?y=1`);
}

const post = (target: URL, body: string, extra: { scratch?: ReusedBuffers; timeoutMs?: number } = {}) =>
  exchange(target, {
    path: `${target.pathname}${target.search}`,
    headers: { 'content-type': 'application/json' },
    parts: [Buffer.from(body)],
    timeoutMs: extra.timeoutMs ?? 10_000,
    scratch: extra.scratch,
  });

describe('the agent’s own HTTP connections', () => {
  it('sends the request as node’s http server reads it and reads a large answer into a kept buffer, on one connection', async () => {
    const payload = randomBytes(3 * 1024 * 1024 + 17);
    const seen: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
    let connections = 0;
    const server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          type: req.headers['content-type'],
          body: `${Buffer.concat(parts)}`,
        });
        if (req.url?.includes('missing')) {
          res.writeHead(404, 'Not Found', { 'content-type': 'application/json', 'content-length': '16' });
          res.end('{"error":"none"}');
          return;
        }
        res.writeHead(200, { 'content-length': String(payload.length) }).end(payload);
      });
    });
    server.on('connection', () => {
      connections += 1;
    });
    const target = await listen(server);
    const scratch = new ReusedBuffers(2);
    const first = await post(target, '{"ids":["a"]}', { scratch });
    expect(first.status).toBe(200);
    expect(Buffer.compare(first.body, payload)).toBe(0);
    // The answer's buffer is one of the kept ones: given back, the next answer lands in the same memory.
    scratch.give(first.body);
    const second = await post(target, '{"ids":["b"]}', { scratch });
    expect(second.body.buffer).toBe(first.body.buffer);
    expect(Buffer.compare(second.body, payload)).toBe(0);
    const missing = await post(new URL('/api/missing', target), '{}');
    expect([missing.status, missing.statusText, `${missing.body}`]).toEqual([404, 'Not Found', '{"error":"none"}']);
    expect(seen).toEqual([
      { method: 'POST', url: '/api/x?y=1', type: 'application/json', body: '{"ids":["a"]}' },
      { method: 'POST', url: '/api/x?y=1', type: 'application/json', body: '{"ids":["b"]}' },
      { method: 'POST', url: '/api/missing', type: 'application/json', body: '{}' },
    ]);
    expect(connections).toBe(1);
  });

  it('reads a head split across reads and a body that came with it, and opens a new connection when the kept one was closed', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      let request = '';
      socket.on('data', async (data) => {
        request += data.toString('latin1');
        if (!request.endsWith('{}')) return;
        request = '';
        // The head in pieces, the first body bytes with its end, then the rest.
        for (const piece of ['HTTP/1.1 200 OK\r\nContent-Le', 'ngth: 11\r\nX-A: b\r', '\n\r\nhello', ' world']) {
          socket.write(piece);
          await sleep(20);
        }
        // Then the server ends the connection it let the agent keep.
        await sleep(20);
        socket.end();
      });
    });
    const target = await listen(server);
    expect(`${(await post(target, '{}')).body}`).toBe('hello world');
    await sleep(100);
    expect(`${(await post(target, '{}')).body}`).toBe('hello world');
    expect(connections).toBe(2);
  });

  it('refuses an answer it does not read (chunked) as unframed, a silent portal after the timeout, and a closed port', async () => {
    const chunked = await listen(
      http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          res.write('part');
          res.end();
        });
      }),
    );
    await expect(post(chunked, '{}')).rejects.toBeInstanceOf(UnframedAnswer);

    const silent = await listen(http.createServer(() => {}));
    await expect(post(silent, '{}', { timeoutMs: 200 })).rejects.toThrow('no answer within 0.2 s');

    const closed = await listen(net.createServer());
    await new Promise<void>((resolve) => closers.pop()!().then(resolve));
    await expect(post(closed, '{}')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('falls back to node’s http client for a portal whose answers it does not read, from then on', async () => {
    vi.resetModules();
    const { postForBytes } = await import('./upload');
    let calls = 0;
    const target = await listen(
      http.createServer((req, res) => {
        calls += 1;
        req.resume();
        req.on('end', () => {
          res.write('chunked ');
          res.end('answer');
        });
      }),
    );
    const first = await postForBytes(target.href, {}, '{}', 10_000);
    expect([first.status, `${first.body}`]).toEqual([200, 'chunked answer']);
    // Sent twice: once on the agent's connection (answered chunked), once through node's client.
    expect(calls).toBe(2);
    await postForBytes(target.href, {}, '{}', 10_000);
    expect(calls).toBe(3);
  });
});
