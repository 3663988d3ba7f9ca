import { randomUUID } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { type AgentContext, UsageError } from './io';
import { proxyEnvironment } from './settings';
import { prepareStateDir } from './state';

/**
 * The agent behind a forward proxy: every request it makes — fetch's calls (agent/portal.ts) and its own fast
 * connections (agent/connections.ts for http portals, agent/upload.ts for https ones) — goes through an HTTP CONNECT
 * tunnel to the portal's host and port, opened with `Proxy-Authorization: Basic …` when the proxy URL has a user.
 * CONNECT for http portals too: one way that serves fetch and the fast connections alike, and the proxy sees no more
 * of the agent's calls than it would of an https portal's.
 *
 * Which proxy: the one saved by `proxy --url` (proxy.json in the state directory, mode 0600: its password is kept
 * there and never printed) wins over the environment's (agent/settings.ts: HTTPS_PROXY for https portals, HTTP_PROXY
 * for http ones); NO_PROXY applies to either, as curl applies it.
 */
export type ProxyServer = {
  hostname: string;
  port: number;
  /** `http://HOST:PORT`: what errors name. */
  address: string;
  /** The URL with its password as `***`: what `status` and `proxy` print. */
  display: string;
  /** `Basic …` when the URL has a user. */
  authorization?: string;
  /** The URL as given: what is saved. */
  url: string;
};

export const PROXY_FILE_NAME = 'proxy.json';
/** curl's default port of an HTTP proxy. */
const DEFAULT_PROXY_PORT = 1080;

/** A proxy URL the agent can use: http://[user[:password]@]HOST[:PORT] (a bare HOST:PORT is taken as http). */
export function parseProxyUrl(text: string): ProxyServer {
  const trimmed = text.trim();
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`);
  } catch {
    throw new Error(`'${mask(trimmed)}' is not a proxy URL: give http://[USER:PASSWORD@]HOST:PORT.`);
  }
  if (url.protocol !== 'http:') {
    throw new Error(`The agent uses http:// proxies only, not ${url.protocol.slice(0, -1)}://.`);
  }
  if (!url.hostname || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error(`'${mask(trimmed)}' is not a proxy URL: give http://[USER:PASSWORD@]HOST:PORT.`);
  }
  const port = url.port ? Number(url.port) : DEFAULT_PROXY_PORT;
  const address = `http://${url.hostname}:${port}`;
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const display = url.username
    ? `http://${url.username}${url.password ? ':***' : ''}@${url.hostname}:${port}`
    : address;
  return {
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    address,
    display,
    authorization: url.username ? `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` : undefined,
    url: trimmed,
  };
}

/** A proxy URL as it may be shown: its password, if any, as `***`. */
function mask(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/**
 * Whether NO_PROXY's list (curl's conventions) exempts `host` on `port`: `*` exempts every host; each entry, separated
 * by commas or spaces, is a host name (matching it and its subdomains; a leading dot is ignored), an IP address, an
 * address range (10.0.0.0/8), or a name or address with `:PORT`, matching that port only. Loopback is not exempt
 * unless listed.
 */
export function exemptFromProxy(noProxy: string | undefined, host: string, port: number): boolean {
  if (!noProxy) return false;
  const name = host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  for (const raw of noProxy.split(/[\s,]+/)) {
    let entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const bracketed = /^\[(.*)\](?::(\d+))?$/.exec(entry);
    if (bracketed) {
      entry = bracketed[1]!;
      entryPort = bracketed[2] ? Number(bracketed[2]) : undefined;
    } else if (/^[^:]*:\d+$/.test(entry)) {
      const colon = entry.lastIndexOf(':');
      entryPort = Number(entry.slice(colon + 1));
      entry = entry.slice(0, colon);
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    const cidr = /^(.+)\/(\d{1,3})$/.exec(entry);
    if (cidr) {
      // An address range (curl 7.86+): 10.0.0.0/8, fd00::/8.
      const family = net.isIP(cidr[1]!);
      if (family === 0 || net.isIP(name) !== family) continue;
      const range = new net.BlockList();
      try {
        range.addSubnet(cidr[1]!, Number(cidr[2]), family === 4 ? 'ipv4' : 'ipv6');
      } catch {
        continue;
      }
      if (range.check(name, family === 4 ? 'ipv4' : 'ipv6')) return true;
      continue;
    }
    entry = entry.replace(/^\*?\./, '').replace(/\.$/, '');
    if (!entry) continue;
    if (name === entry || (net.isIP(name) === 0 && name.endsWith(`.${entry}`))) return true;
  }
  return false;
}

type ProxyConfig = { saved?: ProxyServer; env: Record<string, string | undefined> };

// The proxies of the command running (set by runAgent before it calls the portal); none when it talks to the portal
// through a fetch handed to it (tests).
let current: ProxyConfig | undefined;
const parsed = new Map<string, ProxyServer>();

/** The proxies the agent's requests go through from now on; undefined: none. */
export function setProxies(config: ProxyConfig | undefined): void {
  current = config;
}

/** The proxy a request to `target` goes through, or undefined when it goes straight to the portal. */
export function proxyFor(target: string | URL): ProxyServer | undefined {
  if (!current) return undefined;
  const url = typeof target === 'string' ? new URL(target) : target;
  const env = proxyEnvironment(current.env, url.protocol);
  if (exemptFromProxy(env.noProxy, url.hostname, portOf(url))) return undefined;
  if (current.saved) return current.saved;
  if (!env.proxy) return undefined;
  let proxy = parsed.get(env.proxy);
  if (!proxy) {
    try {
      proxy = parseProxyUrl(env.proxy);
    } catch (error) {
      throw new Error(`${env.variable}: ${(error as Error).message}`);
    }
    parsed.set(env.proxy, proxy);
  }
  return proxy;
}

function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/** The proxy saved in `stateDir` by `proxy --url`, or undefined. */
export async function readSavedProxy(stateDir: string): Promise<ProxyServer | undefined> {
  const file = path.join(stateDir, PROXY_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let url: unknown;
  try {
    url = (JSON.parse(text) as { url?: unknown }).url;
  } catch {}
  if (typeof url !== 'string') throw new Error(`The agent's proxy file ${file} is not valid: run proxy --off.`);
  return parseProxyUrl(url);
}

/** Saves the proxy (its password with it) readable by the machine's owner only, or removes the saved one. */
export async function saveProxy(stateDir: string, proxy: ProxyServer | undefined): Promise<void> {
  const file = path.join(stateDir, PROXY_FILE_NAME);
  if (!proxy) {
    await rm(file, { force: true });
    return;
  }
  await prepareStateDir(stateDir);
  const temporary = path.join(stateDir, `.${PROXY_FILE_NAME}.${randomUUID()}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify({ url: proxy.url })}\n`, { mode: 0o600, flag: 'wx', flush: true });
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** The proxy refused the agent's credentials (or wants some): waiting will not cure it. */
export class ProxyRefused extends Error {
  constructor() {
    super('The proxy refused the credentials (407).');
    this.name = 'ProxyRefused';
  }
}

/** The CONNECT request that opens a tunnel to `authority` (host:port) through `proxy`. */
export function connectRequest(proxy: ProxyServer, authority: string): string {
  const auth = proxy.authorization ? `Proxy-Authorization: ${proxy.authorization}\r\n` : '';
  return `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`;
}

/**
 * What a proxy's answer to CONNECT means (`head`: its status line and fields): undefined for a tunnel, otherwise the
 * error to fail with. A proxy that cannot reach the portal (502, 503, 504) fails as a portal that is away does.
 */
export function tunnelFailure(head: string): Error | undefined {
  const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(head.split('\r\n')[0] ?? '');
  if (!status) return new Error(`the proxy answered '${head.slice(0, 40)}', not HTTP/1.1`);
  const code = Number(status[1]);
  if (code >= 200 && code < 300) return undefined;
  if (code === 407) return new ProxyRefused();
  const error = new Error(`the proxy answered HTTP ${code} ${status[2] ?? ''}`.trimEnd());
  return [502, 503, 504].includes(code) ? Object.assign(error, { code: 'ECONNREFUSED' }) : error;
}

const TUNNEL_TIMEOUT_MS = 60_000;

/** A tunnel through `proxy` to `host`:`port`: a socket on which to speak to the portal as if connected to it. */
export function openTunnel(proxy: ProxyServer, host: string, port: number): Promise<net.Socket> {
  const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: proxy.hostname, port: proxy.port, noDelay: true });
    let head = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 64 * 1024) fail(new Error('the proxy’s answer is too large'));
        return;
      }
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('end', onEnd);
      socket.off('timeout', onTimeout);
      socket.setTimeout(0);
      const failure = tunnelFailure(head.toString('latin1', 0, end));
      if (failure) {
        fail(failure);
        return;
      }
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const onEnd = () => fail(Object.assign(new Error('the proxy closed the connection'), { code: 'ECONNRESET' }));
    // A proxy that never answers is a portal that never answers (node's clients time out only once connected).
    const onTimeout = () =>
      fail(Object.assign(new Error(`no answer within ${TUNNEL_TIMEOUT_MS / 1000} s`), { code: 'ETIMEDOUT' }));
    socket.setTimeout(TUNNEL_TIMEOUT_MS, onTimeout);
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('end', onEnd);
    socket.write(connectRequest(proxy, authority), 'latin1');
  });
}

const agents = new Map<string, http.Agent>();

/**
 * A kept-alive http or https agent whose connections are tunnels through the proxy `target` goes through, or undefined
 * when it goes straight to the portal.
 */
export function tunnelAgentFor(target: URL): http.Agent | undefined {
  const proxy = proxyFor(target);
  if (!proxy) return undefined;
  const secure = target.protocol === 'https:';
  const key = `${secure}|${proxy.url}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    // Node's agents take a connection made later, handed to the callback.
    (agent as unknown as { createConnection: unknown }).createConnection = (
      options: tls.ConnectionOptions & { host: string; port: number },
      callback: (error: Error | null, socket?: net.Socket) => void,
    ) => {
      openTunnel(proxy, options.host.replace(/^\[(.*)\]$/, '$1'), Number(options.port)).then(
        (socket) => {
          if (!secure) return callback(null, socket);
          const secured = tls.connect({ ...options, socket });
          const onError = (error: Error) => callback(error);
          secured.once('error', onError);
          secured.once('secureConnect', () => {
            secured.off('error', onError);
            callback(null, secured);
          });
        },
        (error: Error) => callback(error),
      );
      return undefined;
    };
    agents.set(key, agent);
  }
  return agent;
}

/**
 * `fetch` as the agent calls it, through the proxy its URL goes through (node's http client on a tunnel agent): the
 * given fetch itself when that is not the global one (tests) or no proxy applies.
 */
export function fetchFor(fetch: typeof globalThis.fetch, url: string): typeof globalThis.fetch {
  if (fetch !== globalThis.fetch) return fetch;
  const agent = tunnelAgentFor(new URL(url));
  return agent ? (input, init) => fetchThrough(agent, String(input), init ?? {}) : fetch;
}

async function fetchThrough(agent: http.Agent, url: string, init: RequestInit): Promise<Response> {
  const target = new URL(url);
  const headers = Object.fromEntries(new Headers(init.headers).entries());
  const body =
    init.body === undefined || init.body === null
      ? undefined
      : typeof init.body === 'string'
        ? Buffer.from(init.body)
        : Buffer.from(init.body as Uint8Array);
  if (body) headers['content-length'] = String(body.length);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target,
      { method: init.method ?? 'GET', headers, agent, signal: init.signal ?? undefined },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const status = response.statusCode ?? 500;
          const answer = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === 'string') answer.set(name, value);
          }
          resolve(
            new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), {
              status,
              statusText: response.statusMessage ?? '',
              headers: answer,
            }),
          );
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * `proxy --url URL` saves the proxy every call to the portal goes through (over the environment's); `proxy --off`
 * removes it; `proxy` alone says which proxy the agent uses. A password is saved, never printed.
 */
export async function proxyCommand(
  options: { stateDir: string; url?: string; off: boolean },
  ctx: Pick<AgentContext, 'stdout' | 'env'>,
): Promise<void> {
  if (options.url !== undefined) {
    let proxy: ProxyServer;
    try {
      proxy = parseProxyUrl(options.url);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    await saveProxy(options.stateDir, proxy);
    ctx.stdout.write(`Proxy saved: the agent reaches the portal through ${proxy.display}.\n`);
    return;
  }
  if (options.off) {
    await saveProxy(options.stateDir, undefined);
    ctx.stdout.write('Proxy removed: the agent reaches the portal directly (or as HTTPS_PROXY / HTTP_PROXY say).\n');
    return;
  }
  const saved = await readSavedProxy(options.stateDir);
  if (saved) {
    ctx.stdout.write(`Proxy: ${saved.display} (saved)\n`);
    return;
  }
  const lines = ['https:', 'http:'].flatMap((protocol) => {
    const env = proxyEnvironment(ctx.env, protocol);
    if (!env.proxy) return [];
    let shown: string;
    try {
      shown = parseProxyUrl(env.proxy).display;
    } catch (error) {
      shown = (error as Error).message;
    }
    return [`Proxy for ${protocol.slice(0, -1)} portals: ${shown} (${env.variable})`];
  });
  const noProxy = proxyEnvironment(ctx.env, 'https:').noProxy;
  if (lines.length > 0 && noProxy) lines.push(`Not for: ${noProxy} (NO_PROXY)`);
  ctx.stdout.write(`${(lines.length > 0 ? lines : ['Proxy: none']).join('\n')}\n`);
}
