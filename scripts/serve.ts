/**
 * The portal's HTTP server, started by scripts/start.ts: Next.js behind lib/http/edge.ts, so that malformed requests
 * are refused and forwarded headers are believed only from a trusted proxy before Next or next-auth read them.
 */
import { createServer, IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import next from 'next';
import { getPool } from '@/db/client';
import { blobStoreFor } from '@/lib/backups/store';
import { getEnv } from '@/lib/env';
import { Admission, isPageRender, PAGE_RENDERS_AT_ONCE } from '@/lib/http/admission';
import { serveAgentData } from '@/lib/http/agent-data';
import { FORM_LIMIT_BYTES, isPageFormPost, isWellFormedForm, screenRequest } from '@/lib/http/edge';

const dev = process.argv.includes('--dev');
const env = getEnv();
const app = next({ dev, dir: path.resolve(import.meta.dirname, '..'), port: env.PORT });
const handle = app.getRequestHandler();

await app.prepare();
function refuse(res: ServerResponse, status: number, message: string) {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Connection: 'close' });
  const code = status === 413 ? 'too_large' : status === 405 ? 'method_not_allowed' : 'invalid';
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

// Page renders a few at a time, first come first served (lib/http/admission.ts).
const pages = new Admission(PAGE_RENDERS_AT_ONCE);

const server = createServer(async (req, res) => {
  const edge = { method: req.method, url: req.url, headers: req.headers, socketAddress: req.socket.remoteAddress };
  const verdict = screenRequest(edge, env.trustProxy);
  if (!verdict.ok) {
    refuse(res, verdict.status, verdict.message);
    return;
  }
  // The agent's batches of backup data skip Next.js's request-body handling (lib/http/agent-data.ts).
  if (serveAgentData(req, res, () => ({ pool: getPool(), store: blobStoreFor(env) }))) return;
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
