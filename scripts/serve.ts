/**
 * The portal's HTTP server, started by scripts/start.ts: Next.js behind server/http/edge.ts, so that malformed requests
 * are refused and forwarded headers are believed only from a trusted proxy before Next or next-auth read them.
 */
import { createServer, IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import next from 'next';
import { processJournal } from '@/lib/emulator/journal';
import { getServices } from '@/lib/services';
import { getEnv } from '@/lib/services/settings';
import { Admission, isPageRender, PAGE_RENDERS_AT_ONCE } from '@/server/http/admission';
import { serveAgentData } from '@/server/http/agent-data';
import { FORM_LIMIT_BYTES, isPageFormPost, isWellFormedForm, screenRequest } from '@/server/http/edge';
import { admitEmulatorControl } from '@/server/http/emulator';
import { cookieHeaderHasSession, FRONT_DOOR_HEADER, frontDoor } from '@/server/http/front-door';
import { securityHeaders } from '@/server/http/headers';

const dev = process.argv.includes('--dev');
const env = getEnv();
const app = next({ dev, dir: path.resolve(import.meta.dirname, '..'), port: env.PORT });
const handle = app.getRequestHandler();

await app.prepare();
// The process's one set of services (lib/services), shared with Next.js's modules: the agent's fast path uses it.
const services = await getServices();
function refuse(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Connection: 'close' });
  const code =
    status === 413 ? 'too_large' : status === 405 ? 'method_not_allowed' : status === 403 ? 'forbidden' : 'invalid';
  res.end(JSON.stringify({ error: { code, message } }));
}

/** Reads a page's form body, checks it, and gives Next.js a request that replays it; or answers the refusal. */
async function checkedForm(req: IncomingMessage, res: ServerResponse): Promise<IncomingMessage | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT_BYTES) {
      refuse(res, 413, 'The form is too large.');
      return undefined;
    }
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  if (!(await isWellFormedForm(String(req.headers['content-type']), new Uint8Array(body)))) {
    refuse(res, 400, 'The form data is malformed.');
    return undefined;
  }
  const replay = new IncomingMessage(req.socket);
  Object.assign(replay, {
    method: req.method,
    url: req.url,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    httpVersion: req.httpVersion,
    httpVersionMajor: req.httpVersionMajor,
    httpVersionMinor: req.httpVersionMinor,
    // Read to its end already: without this, the replay's end would count as an aborted request and close the socket.
    complete: true,
  });
  replay.push(body);
  replay.push(null);
  return replay;
}

/**
 * The front door (server/http/front-door.ts) for a page render, done here rather than by proxy.ts, whose machinery in
 * Next.js cost about a twentieth of a page's CPU (issue 13): the security headers on the answer, the nonce where Next
 * reads it, and a visitor with no session cookie sent to sign in. False when it has answered already.
 */
function letInPage(req: IncomingMessage, res: ServerResponse): boolean {
  const https = env.portalOrigin.startsWith('https:') || req.headers['x-forwarded-proto'] === 'https';
  const { headers } = securityHeaders({ https, dev });
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  const at = req.url!.indexOf('?');
  const [pathname, search] = at < 0 ? [req.url!, ''] : [req.url!.slice(0, at), req.url!.slice(at)];
  const verdict = frontDoor(pathname, search, cookieHeaderHasSession(req.headers.cookie));
  if (verdict.kind === 'sign-in') {
    res.writeHead(307, { Location: verdict.location, 'Cache-Control': 'no-store' });
    res.end();
    return false;
  }
  req.headers['content-security-policy'] = headers['Content-Security-Policy'];
  req.headers[FRONT_DOOR_HEADER] = '1';
  return true;
}

// Emulator mode's journal of answered requests (GET /_emulator/requests reads it: lib/emulator/journal.ts).
const journal = env.emulator ? processJournal() : undefined;

// Page renders a few at a time, first come first served (server/http/admission.ts).
const pages = new Admission(PAGE_RENDERS_AT_ONCE);

const server = createServer(async (req, res) => {
  const edge = { method: req.method, url: req.url, headers: req.headers, socketAddress: req.socket.remoteAddress };
  const verdict = screenRequest(edge, env.trustProxy);
  if (!verdict.ok) {
    refuse(res, verdict.status, verdict.message);
    return;
  }
  // Emulator mode: its control API (loopback clients only), and the journal of every request answered.
  if (!admitEmulatorControl(req, res, env.emulator)) return;
  if (journal && !req.url?.startsWith('/api/emulator/')) {
    const at = services.clock.now().toISOString();
    const cookie = req.headers.cookie;
    res.once('finish', () => {
      journal.add({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0]!,
        status: res.statusCode,
        at,
        cookie,
      });
    });
  }
  // The agent's batches of backup data skip Next.js's request-body handling (server/http/agent-data.ts).
  if (serveAgentData(req, res, () => services)) return;
  // Only this server may say a request has passed the front door (proxy.ts then skips it).
  delete req.headers[FRONT_DOOR_HEADER];
  if (isPageRender(req.method, req.url) && !letInPage(req, res)) return;
  if (isPageRender(req.method, req.url) && !(await pages.admit(res))) return;
  const request = isPageFormPost(edge) ? await checkedForm(req, res) : req;
  if (!request) return;
  handle(request, res).catch((err: unknown) => {
    console.error('request failed:', req.method, req.url, err);
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
    res.end();
  });
});
// Node answers requests it cannot parse at all (a bad request line, a header with a NUL) with a bare 400 by itself.
server.listen(env.PORT, () => console.log(`Portal listening on ${env.portalOrigin} (port ${env.PORT})`));

const stop = () => {
  server.close();
  void app.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
