import { isIP } from 'node:net';

/**
 * The checks every request passes before Next.js sees it (lib/http/server.ts). Next and next-auth fail with a 500 on
 * some malformed requests before any of our code runs (a Host they cannot put in a URL, a `%` escape that does not
 * decode), and they believe X-Forwarded-* headers whoever sent them. Here a malformed request is a 400, and forwarded
 * headers count only behind a proxy the operator named (TRUST_PROXY=1).
 */
export type EdgeRequest = {
  method?: string;
  url?: string;
  headers: Record<string, string | string[] | undefined>;
  socketAddress?: string;
};

export type EdgeVerdict = { ok: true } | { ok: false; status: 400 | 403 | 405; message: string };

const HOSTNAME =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** `name[:port]` or `[ipv6][:port]`, with a port of 1-65535: what a URL can hold. */
export function isValidHost(value: string): boolean {
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return false;
  const [, name, port] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  if (name!.startsWith('[')) return isIP(name!.slice(1, -1)) === 6;
  return name!.length <= 253 && (HOSTNAME.test(name!) || isIP(name!) === 4);
}

/** Every segment of the path must decode, and none may hold a NUL: such a path names nothing here. */
export function isValidPath(url: string): boolean {
  if (!url.startsWith('/')) return false;
  const path = url.split(/[?#]/, 1)[0]!;
  try {
    return !decodeURIComponent(path).includes('\0');
  } catch {
    return false;
  }
}

const STATIC_FILE = /^\/(_next\/static\/|favicon\.ico([?#]|$)|icons\/)/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Checks the request and rewrites its forwarded headers in place: afterwards X-Forwarded-For is exactly the client's
 * address (the socket's, or behind a trusted proxy the address that proxy saw), and X-Forwarded-Host and -Proto are
 * present only when a trusted proxy sent valid ones.
 */
export function screenRequest(request: EdgeRequest, trustProxy: boolean): EdgeVerdict {
  const { headers } = request;
  if (!request.url || !isValidPath(request.url))
    return { ok: false, status: 400, message: 'The request path is malformed.' };
  // Next.js answers 500 to other methods on its static files and public/.
  if (STATIC_FILE.test(request.url) && request.method !== 'GET' && request.method !== 'HEAD') {
    return { ok: false, status: 405, message: 'Static files are read with GET.' };
  }
  const host = single(headers.host);
  if (host !== undefined && !isValidHost(host))
    return { ok: false, status: 400, message: 'The Host header is malformed.' };

  const forwardedHost = single(headers['x-forwarded-host']);
  const forwardedProto = single(headers['x-forwarded-proto']);
  const forwardedFor = single(headers['x-forwarded-for']);
  delete headers['x-forwarded-host'];
  delete headers['x-forwarded-proto'];
  delete headers['x-forwarded-port'];
  delete headers['x-forwarded-for'];
  delete headers.forwarded;

  let client = request.socketAddress;
  if (trustProxy) {
    if (forwardedHost !== undefined) {
      if (!isValidHost(forwardedHost))
        return { ok: false, status: 400, message: 'The X-Forwarded-Host header is malformed.' };
      headers['x-forwarded-host'] = forwardedHost;
    }
    if (forwardedProto !== undefined) {
      if (forwardedProto !== 'http' && forwardedProto !== 'https') {
        return { ok: false, status: 400, message: 'The X-Forwarded-Proto header is malformed.' };
      }
      headers['x-forwarded-proto'] = forwardedProto;
    }
    // The proxy appends the address it saw: the last entry is the only one it vouches for.
    const last = forwardedFor?.split(',').at(-1)?.trim();
    if (last) {
      if (isIP(last) === 0) return { ok: false, status: 400, message: 'The X-Forwarded-For header is malformed.' };
      client = last;
    }
  }
  if (client) headers['x-forwarded-for'] = client;
  if (isCrossSiteAction(request)) {
    return { ok: false, status: 403, message: 'The request came from another site: the portal refuses it.' };
  }
  return { ok: true };
}

/**
 * A server action (a POST to a page, by fetch with its Next-Action header or as a form) whose Origin names another
 * host than the one it was sent to (X-Forwarded-Host from a trusted proxy, else Host). Next.js refuses the same
 * request, but with a 500; this is its rule, answered as the 403 it is. A request without Origin passes to Next.
 */
export function isCrossSiteAction(request: EdgeRequest): boolean {
  const { headers } = request;
  if (request.method !== 'POST' || /^\/(api|_next)(\/|$|\?)/i.test(request.url ?? '')) return false;
  const type = (single(headers['content-type']) ?? '').toLowerCase();
  const possibleAction =
    headers['next-action'] !== undefined ||
    type.startsWith('multipart/form-data') ||
    type.startsWith('application/x-www-form-urlencoded');
  const origin = single(headers.origin);
  if (!possibleAction || origin === undefined) return false;
  const originHost = origin === 'null' ? 'null' : URL.canParse(origin) ? new URL(origin).host : undefined;
  const host = single(headers['x-forwarded-host'])?.split(',')[0]?.trim() || single(headers.host);
  return originHost === undefined || host === undefined || originHost !== host;
}

/** Next.js's own limit on a server action's body; larger forms are refused before they are read further. */
export const FORM_LIMIT_BYTES = 1024 * 1024;

/**
 * A multipart POST to a page is a server action (or a form posted before the page's script ran), whose body Next.js
 * parses itself and answers 500 when it cannot. Such bodies are read and checked here first.
 */
export function isPageFormPost(request: EdgeRequest): boolean {
  const type = single(request.headers['content-type']) ?? '';
  const path = request.url ?? '';
  return (
    request.method === 'POST' &&
    type.toLowerCase().startsWith('multipart/form-data') &&
    !/^\/(api|_next|subscriptions)(\/|$|\?)/i.test(path)
  );
}

/** Whether a multipart body parses as the form its Content-Type announces. */
export async function isWellFormedForm(contentType: string, body: Uint8Array<ArrayBuffer>): Promise<boolean> {
  try {
    await new Response(body, { headers: { 'content-type': contentType } }).formData();
    return true;
  } catch {
    return false;
  }
}
