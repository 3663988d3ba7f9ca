import { randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReusedBuffers } from '@/lib/buffers';
import { selfSigned } from '@/testing/proxy';
import { TokenBucket } from './pace';
import { postForBytes, postParts } from './upload';

describe('the agent’s POSTs to a portal on https', () => {
  const payload = randomBytes(3 * 1024 * 1024 + 5);
  const seen: Array<{ type?: string; body: string }> = [];
  let server: https.Server;
  let base = '';
  const rejectUnauthorized = process.env.NODE_TLS_REJECT_UNAUTHORIZED;

  beforeAll(async () => {
    server = https.createServer(selfSigned(), (req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => {
        seen.push({ type: req.headers['content-type'], body: `${Buffer.concat(parts)}` });
        if (req.url === '/bytes') res.writeHead(200, { 'content-length': String(payload.length) }).end(payload);
        else res.writeHead(409, 'Conflict', { 'content-type': 'application/json' }).end('{"error":"no"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // The certificate is the test's own: the agent's https client would rightly refuse it otherwise.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  });
  afterAll(async () => {
    if (rejectUnauthorized === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = rejectUnauthorized;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('goes through node’s https client: bytes into a kept buffer, parts sent one after another, the status as sent', async () => {
    const scratch = new ReusedBuffers(1);
    const bytes = await postForBytes(`${base}/bytes`, {}, '{"ids":[]}', 10_000, scratch);
    expect(bytes.status).toBe(200);
    expect(Buffer.compare(bytes.body, payload)).toBe(0);
    scratch.give(bytes.body);
    expect(scratch.take(payload.length).buffer).toBe(bytes.body.buffer);

    const response = await postParts(
      `${base}/parts`,
      { 'content-type': 'application/octet-stream' },
      [Buffer.from('one '), Buffer.from('two')],
      10_000,
    );
    expect([response.status, response.statusText, await response.text()]).toEqual([409, 'Conflict', '{"error":"no"}']);
    expect(seen).toEqual([
      { type: 'application/json', body: '{"ids":[]}' },
      { type: 'application/octet-stream', body: 'one two' },
    ]);
  });

  it('writes a throttled body no faster than its pace allows (agent/pace.ts)', async () => {
    const rate = 256 * 1024;
    const bucket = new TokenBucket(() => rate);
    const body = [randomBytes(200 * 1024), randomBytes(100 * 1024)];
    const started = performance.now();
    const response = await postParts(`${base}/parts`, {}, body, 10_000, undefined, {
      rate: () => rate,
      take: (bytes, signal) => bucket.take(bytes, signal),
    });
    expect(response.status).toBe(409);
    expect(seen.at(-1)?.body).toBe(`${Buffer.concat(body)}`);
    // 300 KiB at 256 KiB/s, the first 128 KiB from the full bucket.
    expect(performance.now() - started).toBeGreaterThanOrEqual(((300 - 128) / 256) * 1000 * 0.95);
  });
});
