import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector, type RunResult, run as runCommand, tempDir } from '@/testing/agent';
import { type Machine, registeredMachine } from '@/testing/backups';
import { agentApi } from '@/testing/faults/agent-api';
import { filesBelow } from '@/testing/faults/agents';
import { selfSigned, TestProxy } from '@/testing/proxy';
import { type TestServices, testServices } from '@/testing/services';
import { runAgent } from './cli';
import { exemptFromProxy, PROXY_FILE_NAME, parseProxyUrl } from './proxy';
import { proxyEnvironment } from './settings';
import { readState, writeState } from './state';

describe('proxy URLs', () => {
  it('reads http://[user:password@]host:port, masks the password, and builds Basic credentials', () => {
    const proxy = parseProxyUrl('http://agent:s%40cret@proxy.corp.example:3128');
    expect(proxy).toMatchObject({
      hostname: 'proxy.corp.example',
      port: 3128,
      address: 'http://proxy.corp.example:3128',
      display: 'http://agent:***@proxy.corp.example:3128',
      authorization: `Basic ${Buffer.from('agent:s@cret').toString('base64')}`,
    });
    expect(parseProxyUrl('proxy.corp.example:8080')).toMatchObject({
      display: 'http://proxy.corp.example:8080',
      authorization: undefined,
    });
    // curl's default port of a proxy.
    expect(parseProxyUrl('http://proxy').port).toBe(1080);
    expect(parseProxyUrl('http://[::1]:3128')).toMatchObject({ hostname: '::1', address: 'http://[::1]:3128' });
  });

  it('refuses what is not an http proxy, never repeating a password', () => {
    expect(() => parseProxyUrl('https://proxy:443')).toThrow('The agent uses http:// proxies only, not https://.');
    expect(() => parseProxyUrl('socks5://proxy:1080')).toThrow('http:// proxies only');
    expect(() => parseProxyUrl('http://u:secret@proxy:8080/path')).toThrow(
      "'http://u:***@proxy:8080/path' is not a proxy URL",
    );
  });

  it('takes the lower-case variable first, https_proxy for https portals and http_proxy for http ones', () => {
    const env = { HTTPS_PROXY: 'a:1', https_proxy: 'b:2', HTTP_PROXY: 'c:3', NO_PROXY: 'x', no_proxy: '' };
    expect(proxyEnvironment(env, 'https:')).toEqual({ variable: 'https_proxy', proxy: 'b:2', noProxy: 'x' });
    expect(proxyEnvironment(env, 'http:')).toEqual({ variable: 'HTTP_PROXY', proxy: 'c:3', noProxy: 'x' });
    expect(proxyEnvironment({}, 'http:')).toEqual({ variable: 'HTTP_PROXY', proxy: undefined, noProxy: undefined });
  });

  it.each([
    ['*', 'portal.example.com', 443, true],
    ['example.com', 'portal.example.com', 443, true],
    ['example.com', 'example.com', 443, true],
    ['.example.com', 'portal.example.com', 443, true],
    ['.example.com', 'example.com', 443, true],
    ['*.example.com', 'portal.example.com', 443, true],
    ['example.com', 'badexample.com', 443, false],
    ['EXAMPLE.com', 'Portal.Example.COM', 443, true],
    ['other.org, example.com', 'portal.example.com', 80, true],
    ['other.org example.com', 'portal.example.com', 80, true],
    ['example.com:8443', 'portal.example.com', 8443, true],
    ['example.com:8443', 'portal.example.com', 443, false],
    ['127.0.0.1', '127.0.0.1', 8080, true],
    ['0.0.1', '127.0.0.1', 8080, false],
    ['other.org', '127.0.0.1', 8080, false],
    ['other.org', 'localhost', 8080, false],
    ['[::1]:8080', '[::1]', 8080, true],
    ['::1', '[::1]', 8080, true],
    ['', 'portal.example.com', 443, false],
    ['10.0.0.0/8', '10.1.2.3', 443, true],
    ['10.0.0.0/8', '11.1.2.3', 443, false],
    ['fd00::/8', '[fd12::1]', 443, true],
    ['192.168.0.0/16', 'portal.example.com', 443, false],
  ])('NO_PROXY %j for %s:%d: exempt %s', (noProxy, host, port, exempt) => {
    expect(exemptFromProxy(noProxy, host, port)).toBe(exempt);
  });
});

describe('the proxy command', () => {
  it('says which proxy the environment names, masked, and refuses what it cannot use', async () => {
    const temp = await tempDir();
    try {
      const env = {
        HTTPS_PROXY: 'http://me:hunter2@proxy.corp:3128',
        http_proxy: 'proxy.corp:8080',
        NO_PROXY: '.corp',
      };
      expect(await runCommand(['proxy', '--state-dir', temp.dir], { env })).toEqual({
        code: 0,
        stdout:
          'Proxy for https portals: http://me:***@proxy.corp:3128 (HTTPS_PROXY)\n' +
          'Proxy for http portals: http://proxy.corp:8080 (http_proxy)\nNot for: .corp (NO_PROXY)\n',
        stderr: '',
      });
      expect(await runCommand(['proxy', '--state-dir', temp.dir], {})).toMatchObject({ stdout: 'Proxy: none\n' });
      const both = await runCommand(['proxy', '--url', 'http://p:1', '--off', '--state-dir', temp.dir], {});
      expect([both.code, both.stderr.split('\n')[0]]).toEqual([2, 'Give either --url or --off, not both.']);
      const secure = await runCommand(['proxy', '--url', 'https://u:hunter2@p:1', '--state-dir', temp.dir], {});
      expect([secure.code, secure.stderr.split('\n')[0]]).toEqual([
        2,
        'The agent uses http:// proxies only, not https://.',
      ]);
      await expect(stat(path.join(temp.dir, PROXY_FILE_NAME))).rejects.toThrow('ENOENT');
    } finally {
      await temp.remove();
    }
  });
});

// The agent behind a real forward proxy (testing/proxy.ts), against the portal's real code over real HTTP: the
// portal is known to the agent as portal.test, a name only the proxy can reach, and the portal records the port of
// every caller, which must be one of the proxy's own connections.

let svc: TestServices;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  svc = await testServices();
});
afterAll(async () => {
  while (closers.length > 0) await closers.pop()!();
  await svc.close();
});

const CREDENTIALS = { user: 'agent', password: 'pr0xy secret' };

type Portal = { port: number; callers: number[] };

async function portalServer(secure: boolean): Promise<Portal> {
  const api = agentApi(svc);
  const callers: number[] = [];
  const handler: http.RequestListener = (req, res) => {
    callers.push(req.socket.remotePort!);
    api(req, res);
  };
  const server = secure ? https.createServer(selfSigned(), handler) : http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as net.AddressInfo).port, callers };
}

async function proxyServer(routes: Record<string, number>, credentials?: typeof CREDENTIALS) {
  const proxy = await new TestProxy(routes, credentials).listen();
  closers.push(() => proxy.close());
  return proxy;
}

/** The agent as a user runs it: its own connections and fetch, and the environment given. */
async function run(machine: Machine, argv: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const stdout = collector();
  const stderr = collector();
  const code = await runAgent([...argv, '--state-dir', machine.stateDir], {
    stdout,
    stderr,
    env,
    retry: { budgetMs: 1_000, firstDelayMs: 100, maxDelayMs: 200 },
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

async function dataset(root: string) {
  await mkdir(path.join(root, 'small'), { recursive: true });
  for (let i = 0; i < 3; i++) await writeFile(path.join(root, `large-${i}.bin`), randomBytes(6 * 1024 * 1024 + i));
  for (let i = 0; i < 20; i++) await writeFile(path.join(root, 'small', `note-${i}.txt`), `note ${i}\n`.repeat(i + 1));
}

async function expectSameFiles(source: string, target: string) {
  const files = await filesBelow(source);
  expect(files.length).toBeGreaterThan(0);
  expect(await filesBelow(target)).toEqual(files);
  for (const file of files) {
    const [a, b] = await Promise.all([readFile(path.join(source, file)), readFile(path.join(target, file))]);
    expect(a.equals(b), file).toBe(true);
  }
}

function basic({ user, password }: typeof CREDENTIALS): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

describe('the agent behind a forward proxy', () => {
  let portal: Portal;
  let open: TestProxy;
  let guarded: TestProxy;
  let machine: Machine;
  let folder: string;

  beforeAll(async () => {
    portal = await portalServer(false);
    const routes = { 'portal.test:80': portal.port, [`127.0.0.1:${portal.port}`]: portal.port };
    open = await proxyServer(routes);
    guarded = await proxyServer(routes, CREDENTIALS);
  });

  it('registers, protects, backs up and recovers through it, every call in its tunnels; a saved proxy with credentials wins over HTTP_PROXY', async () => {
    // Registered through the environment's proxy: portal.test is a name only the proxies resolve.
    machine = await registeredMachine(svc, { fetch: globalThis.fetch, env: { HTTP_PROXY: open.url() } });
    closers.push(() => machine.remove());
    expect(open.tunnels.length).toBeGreaterThan(0);
    folder = path.join(machine.work, 'data');
    await dataset(folder);
    expect(await run(machine, ['protect', '--path', folder], { HTTP_PROXY: open.url() })).toMatchObject({ code: 0 });
    const throughOpen = open.tunnels.length;

    const saved = await run(machine, ['proxy', '--url', guarded.url(CREDENTIALS)]);
    expect(saved).toEqual({
      code: 0,
      stdout: `Proxy saved: the agent reaches the portal through http://agent:***@127.0.0.1:${guarded.port}.\n`,
      stderr: '',
    });
    // Kept with its password, readable by the machine's owner only.
    const file = path.join(machine.stateDir, PROXY_FILE_NAME);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readFile(file, 'utf8')).toContain('pr0xy%20secret');
    expect(await run(machine, ['proxy'], { HTTP_PROXY: open.url() })).toMatchObject({
      stdout: `Proxy: http://agent:***@127.0.0.1:${guarded.port} (saved)\n`,
    });

    const env = { HTTP_PROXY: open.url() };
    const backup = await run(machine, ['backup', '--path', folder], env);
    expect(backup).toEqual({ code: 0, stdout: 'Backup completed.\n', stderr: '' });
    const target = path.join(machine.work, 'restored');
    const recovered = await run(machine, ['recover', '--path', folder, '--target', target], env);
    expect(recovered).toEqual({ code: 0, stdout: 'Recovery completed.\n', stderr: '' });
    await expectSameFiles(folder, target);
    const status = await run(machine, ['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Portal: http://portal.test\nProxy: http://agent:***@127.0.0.1:${guarded.port}\n`);
    expect(status.stdout).not.toContain('secret');

    // The saved proxy took every call from the environment's, with the credentials on every tunnel, and the portal
    // heard from nobody but the proxies.
    expect(open.tunnels.length).toBe(throughOpen);
    expect(guarded.tunnels.length).toBeGreaterThan(0);
    for (const tunnel of guarded.tunnels) {
      expect(tunnel).toEqual({ target: 'portal.test:80', authorization: basic(CREDENTIALS), opened: true });
    }
    expect(open.requests).toEqual([]);
    expect(guarded.requests).toEqual([]);
    expect(portal.callers.length).toBeGreaterThan(10);
    const proxied = new Set([...open.upstreamPorts, ...guarded.upstreamPorts]);
    expect(portal.callers.filter((port) => !proxied.has(port))).toEqual([]);
  });

  it('says the proxy refused the credentials (407), for fetch’s calls and its own connections alike', async () => {
    expect(await run(machine, ['proxy', '--url', guarded.url({ ...CREDENTIALS, password: 'wrong' })])).toMatchObject({
      code: 0,
    });
    const callers = portal.callers.length;
    expect(await run(machine, ['status'])).toEqual({
      code: 1,
      stdout: '',
      stderr: 'The proxy refused the credentials (407).\n',
    });
    const backup = await run(machine, ['backup', '--path', folder]);
    expect(backup.code).toBe(1);
    expect(backup.stderr).toContain('The proxy refused the credentials (407).');
    expect(backup.stderr).not.toContain('wrong');
    expect(portal.callers.length).toBe(callers);
  });

  it('names the proxy when it cannot be reached', async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect(await run(machine, ['proxy', '--url', `http://127.0.0.1:${port}`])).toMatchObject({ code: 0 });
    expect(await run(machine, ['status'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Could not reach the portal through the proxy http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    });
  });

  it('says what the proxy answered when it cannot reach the portal', async () => {
    const lost = await proxyServer({});
    expect(await run(machine, ['proxy', '--url', lost.url()])).toMatchObject({ code: 0 });
    expect(await run(machine, ['status'])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Could not reach the portal through the proxy http://127.0.0.1:${lost.port}: the proxy answered HTTP 502 Bad Gateway\n`,
    });
    expect(lost.tunnels).toEqual([{ target: 'portal.test:80', authorization: undefined, opened: false }]);
  });

  it('goes around the proxy for hosts NO_PROXY lists, through it for the rest (loopback too), and proxy --off removes the saved one', async () => {
    expect(await run(machine, ['proxy', '--off'])).toEqual({
      code: 0,
      stdout: 'Proxy removed: the agent reaches the portal directly (or as HTTPS_PROXY / HTTP_PROXY say).\n',
      stderr: '',
    });
    await expect(stat(path.join(machine.stateDir, PROXY_FILE_NAME))).rejects.toThrow('ENOENT');
    const state = (await readState(machine.stateDir))!;
    const direct = `http://127.0.0.1:${portal.port}`;
    await writeState(machine.stateDir, { ...state, portalUrl: direct });

    const tunnels = open.tunnels.length;
    const around = await run(machine, ['status'], { HTTP_PROXY: open.url(), NO_PROXY: 'other.example, 127.0.0.1' });
    expect(around.code).toBe(0);
    expect(around.stdout).toContain(`Portal: ${direct}\nVault:`);
    expect(open.tunnels.length).toBe(tunnels);

    const through = await run(machine, ['status'], { http_proxy: open.url(), NO_PROXY: 'other.example' });
    expect(through.stdout).toContain(`Portal: ${direct}\nProxy: ${open.url()}\n`);
    expect(open.tunnels.slice(tunnels).map((tunnel) => tunnel.target)).toEqual([`127.0.0.1:${portal.port}`]);

    // No proxy saved, none in the environment: portal.test is not a name this machine can resolve.
    await writeState(machine.stateDir, state);
    const alone = await run(machine, ['status']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toMatch(/^Could not reach the portal at http:\/\/portal\.test: /);
    await writeState(machine.stateDir, state);
  });
});

describe('the agent behind a forward proxy, to a portal on https', () => {
  const rejectUnauthorized = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  afterAll(() => {
    if (rejectUnauthorized === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = rejectUnauthorized;
  });

  it('backs up and recovers through HTTPS_PROXY’s tunnels, with the credentials in its URL (HTTP_PROXY is not for https)', async () => {
    const plain = await portalServer(false);
    const portal = await portalServer(true);
    const proxy = await proxyServer({ 'portal.test:80': plain.port, 'portal.test:443': portal.port }, CREDENTIALS);
    const machine = await registeredMachine(svc, {
      fetch: globalThis.fetch,
      env: { HTTP_PROXY: proxy.url(CREDENTIALS) },
    });
    closers.push(() => machine.remove());
    // The machine registered over http, through the same proxy's tunnels; from now on the portal is on https.
    proxy.tunnels.length = 0;
    const state = (await readState(machine.stateDir))!;
    await writeState(machine.stateDir, { ...state, portalUrl: 'https://portal.test' });
    // The certificate is the test's own: the agent's https client would rightly refuse it otherwise.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const env = { HTTPS_PROXY: proxy.url(CREDENTIALS), HTTP_PROXY: 'http://127.0.0.1:9' };
    const folder = path.join(machine.work, 'data');
    await dataset(folder);
    expect(await run(machine, ['protect', '--path', folder], env)).toMatchObject({ code: 0 });
    expect(await run(machine, ['backup', '--path', folder], env)).toEqual({
      code: 0,
      stdout: 'Backup completed.\n',
      stderr: '',
    });
    const target = path.join(machine.work, 'restored');
    expect(await run(machine, ['recover', '--path', folder, '--target', target], env)).toEqual({
      code: 0,
      stdout: 'Recovery completed.\n',
      stderr: '',
    });
    await expectSameFiles(folder, target);
    const status = await run(machine, ['status'], env);
    expect(status.stdout).toContain(`Portal: https://portal.test\nProxy: http://agent:***@127.0.0.1:${proxy.port}\n`);

    expect(proxy.tunnels.length).toBeGreaterThan(0);
    for (const tunnel of proxy.tunnels) {
      expect(tunnel).toEqual({ target: 'portal.test:443', authorization: basic(CREDENTIALS), opened: true });
    }
    expect(portal.callers.length).toBeGreaterThan(10);
    expect(portal.callers.filter((port) => !proxy.upstreamPorts.has(port))).toEqual([]);
    expect(plain.callers.length).toBeGreaterThan(0);
  });
});
