import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Machine, registeredMachine, routeFetch } from '@/testing/backups';
import { restoreRoutes } from '@/testing/restore';
import { type TestServices, testServices } from '@/testing/services';
import { MAX_BATCH_BYTES, OBJECT_FRAME_HEADER } from '@/wire/protocol';
import { serveAgentData } from './agent-data';

let svc: TestServices;
let server: Server;
let base = '';
/** What the fast path answered, by path kind. */
const served = { uploads: 0, missing: 0, reads: 0 };

beforeAll(async () => {
  svc = await testServices();
  server = createServer((req, res) => {
    if (serveAgentData(req, res, () => ({ pool: svc.pool, store: svc.store }))) {
      if (req.url?.endsWith('/missing')) served.missing += 1;
      else if (req.url?.includes('/backups/')) served.uploads += 1;
      else served.reads += 1;
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.close();
  await svc.close();
});

const BULK = /^\/api\/agent\/(backups\/[^/]+\/(objects|missing)|restores\/[^/]+\/objects)$/;

/** The agent's bulk calls go over real HTTP to the server's fast path; everything else to the route handlers. */
function fastPathFetch(before?: (request: Request) => Promise<void>) {
  return routeFetch(async (request) => {
    const { pathname } = new URL(request.url);
    if (!BULK.test(pathname)) return restoreRoutes(request);
    await before?.(request);
    return fetch(`${base}${pathname}`, {
      method: 'POST',
      headers: request.headers,
      body: await request.arrayBuffer(),
    });
  }).fetch;
}

async function objectCount(): Promise<number> {
  const { rows } = await svc.pool.query<{ n: number }>('select count(*)::int as n from backup_objects');
  return rows[0]!.n;
}

/**
 * A raw request, for bodies fetch would not send: shorter than declared, the connection then half-closed (`cut`), or
 * kept open until the answer comes.
 */
async function rawPost(
  pathname: string,
  headers: Record<string, string>,
  body: Buffer,
  declared: number,
  { cut }: { cut: boolean },
) {
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  await once(socket, 'connect');
  const head = Object.entries({ ...headers, 'content-length': String(declared), host: 'x' })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${pathname} HTTP/1.1\r\n${head}\r\n`);
  socket.write(body);
  if (cut) socket.end();
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString();
    if (!cut) socket.end();
  });
  await once(socket, 'close');
  return answer;
}

describe("the portal server's fast path for the agent's bulk data", () => {
  let machine: Machine;
  let folder: string;
  const checks: Record<string, { status: number; body: unknown; storedAfter: number }> = {};

  beforeAll(async () => {
    let checked = false;
    // At the first upload, while the session runs, bad requests with its real token are sent first.
    const fetch = fastPathFetch(async (request) => {
      if (checked || !request.url.match(/\/backups\/.*\/objects$/)) return;
      checked = true;
      const { pathname } = new URL(request.url);
      const authorization = request.headers.get('authorization')!;
      const before = await objectCount();
      const send = async (name: string, body: Buffer, headers: Record<string, string> = {}) => {
        const response = await globalThis.fetch(`${base}${pathname}`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/octet-stream', ...headers },
          body: new Uint8Array(body),
        });
        checks[name] = { status: response.status, body: await response.json(), storedAfter: await objectCount() };
      };
      const frame = Buffer.alloc(OBJECT_FRAME_HEADER + 100);
      randomBytes(32).copy(frame);
      frame.writeUInt32BE(500, 32); // says 500 bytes, holds 100
      const missing = await globalThis.fetch(`${base}${pathname.replace(/objects$/, 'missing')}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ ids: ['not-an-id'] }),
      });
      checks['bad missing'] = { status: missing.status, body: await missing.json(), storedAfter: await objectCount() };
      await send('short frame', frame);
      await send('wrong token', frame, { authorization: `${authorization.slice(0, -4)}AAAA` });
      const cut = await rawPost(pathname, { authorization }, frame, frame.length + 1000, { cut: true });
      checks['cut short'] = { status: Number(cut.split(' ')[1] ?? 0), body: cut, storedAfter: await objectCount() };
      const large = await rawPost(pathname, { authorization }, Buffer.alloc(10), MAX_BATCH_BYTES + 1, { cut: false });
      checks['too large'] = {
        status: Number(large.split(' ')[1]),
        body: JSON.parse(large.slice(large.indexOf('\r\n\r\n') + 4)),
        storedAfter: await objectCount(),
      };
      expect(before).toBe(await objectCount());
    });
    machine = await registeredMachine(svc, { fetch });
    folder = path.join(machine.work, 'data');
    await mkdir(path.join(folder, 'sub'), { recursive: true });
    // Larger than the agent's 8 MiB read buffer, which it reuses from one read to the next.
    await writeFile(path.join(folder, 'big.bin'), randomBytes(21 * 1024 * 1024 + 5));
    for (let i = 0; i < 50; i++) await writeFile(path.join(folder, 'sub', `f${i}.txt`), `file ${i}\n`.repeat(i));
    await symlink('big.bin', path.join(folder, 'link'));
    expect((await machine.agent('protect', '--path', folder)).code).toBe(0);
    const backup = await machine.agent('backup');
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
  });
  afterAll(() => machine.remove());

  it('stores a backup uploaded through it, and serves the restore of it', async () => {
    expect(served.uploads).toBeGreaterThan(1);
    // The agent asked which objects were missing before each batch (the bad question above is one more).
    expect(served.missing).toBeGreaterThan(1);
    const target = path.join(machine.work, 'restored');
    const recovered = await machine.agent('recover', '--path', folder, '--target', target);
    expect(recovered.stderr).toBe('');
    expect(recovered.code).toBe(0);
    expect(served.reads).toBeGreaterThan(0);
    expect((await readFile(path.join(target, 'big.bin'))).equals(await readFile(path.join(folder, 'big.bin')))).toBe(
      true,
    );
    for (const i of [0, 7, 49]) {
      expect(await readFile(path.join(target, 'sub', `f${i}.txt`), 'utf8')).toBe(`file ${i}\n`.repeat(i));
    }
  });

  it("refuses malformed uploads with the route handlers' messages and stores nothing of them", () => {
    expect(checks['short frame']).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request', message: expect.stringMatching(/shorter than its stated length/) } },
    });
    expect(checks['bad missing']).toMatchObject({
      status: 400,
      body: {
        error: {
          code: 'bad_request',
          message: 'The list of object ids is not valid: ids.0 must be 64 lowercase hex digits.',
        },
      },
    });
    expect(checks['wrong token']).toMatchObject({
      status: 401,
      body: { error: { code: 'invalid', message: 'Invalid vault credentials provided' } },
    });
    expect(checks['too large']).toMatchObject({
      status: 400,
      body: { error: { message: `The upload is malformed: send at most ${MAX_BATCH_BYTES} bytes per request.` } },
    });
    // A body that ends before its declared length never reaches the store (the connection just closes).
    expect(checks['cut short']!.status === 0 || checks['cut short']!.status === 400).toBe(true);
    const counts = Object.values(checks).map((c) => c.storedAfter);
    expect(new Set(counts).size).toBe(1);
  });

  it('leaves other requests to Next.js', async () => {
    const response = await fetch(`${base}/api/agent/backups/x/commit`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    const get = await fetch(`${base}/api/agent/restores/x/objects`);
    expect(get.status).toBe(404);
  });

  it('refuses a read of a restore that does not exist', async () => {
    const id = '6a1f0a52-0d5c-4a43-9d55-4fd1b0d2a7b1';
    const response = await fetch(`${base}/api/agent/restores/${id}/objects`, {
      method: 'POST',
      headers: { authorization: `Bearer ${id}.${'A'.repeat(43)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: ['a'.repeat(64)] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({
      error: { code: 'invalid', message: 'Invalid vault credentials provided' },
    });
  });
});
