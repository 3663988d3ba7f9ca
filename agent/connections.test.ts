import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ReusedBuffers } from '@/lib/buffers';
import { exchange } from './connections';

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

  it('reads a chunked answer (as Next.js sends), one running to the end of the connection, and one after a 100 Continue, each sent once', async () => {
    let calls = 0;
    const chunked = await listen(
      http.createServer((req, res) => {
        calls += 1;
        req.resume();
        req.on('end', () => {
          res.write('chunked ');
          setTimeout(() => res.end('answer'), 20);
        });
      }),
    );
    const first = await post(chunked, '{}');
    expect([first.status, `${first.body}`]).toEqual([200, 'chunked answer']);
    expect(`${(await post(chunked, '{}')).body}`).toBe('chunked answer');
    expect(calls).toBe(2);

    const raw = (answer: string[]) =>
      listen(
        net.createServer((socket) => {
          socket.once('data', async () => {
            for (const piece of answer) {
              socket.write(piece);
              await sleep(10);
            }
            socket.end();
          });
        }),
      );
    const untilEnd = await raw(['HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nup to ', 'the end']);
    expect(`${(await post(untilEnd, '{}')).body}`).toBe('up to the end');
    const interim = await raw(['HTTP/1.1 100 Continue\r\n\r\n', 'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']);
    const created = await post(interim, '{}');
    expect([created.status, created.statusText, `${created.body}`]).toEqual([201, 'Created', 'ok']);
    // Trailer fields after the last chunk are read past.
    const trailer = await raw([
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-T',
      'railer: 1\r\n\r\n',
    ]);
    expect(`${(await post(trailer, '{}')).body}`).toBe('abc');
  });

  it('refuses an answer in a content coding it did not ask for, a silent portal after the timeout, and a closed port', async () => {
    const gzipped = await listen(
      http.createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': '3' }).end('abc'));
      }),
    );
    await expect(post(gzipped, '{}')).rejects.toThrow('the portal answered in gzip, which the agent did not ask for');

    const silent = await listen(http.createServer(() => {}));
    await expect(post(silent, '{}', { timeoutMs: 200 })).rejects.toThrow('no answer within 0.2 s');

    const closed = await listen(net.createServer());
    await new Promise<void>((resolve) => closers.pop()!().then(resolve));
    await expect(post(closed, '{}')).rejects.toThrow(/ECONNREFUSED/);
  });
});
