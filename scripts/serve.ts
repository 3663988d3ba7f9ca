/**
 * The portal's HTTP server, started by scripts/start.ts: Next.js behind lib/http/edge.ts, so that malformed requests
 * are refused and forwarded headers are believed only from a trusted proxy before Next or next-auth read them.
 */
import { createServer } from 'node:http';
import path from 'node:path';
import next from 'next';
import { getEnv } from '@/lib/env';
import { screenRequest } from '@/lib/http/edge';

const dev = process.argv.includes('--dev');
const env = getEnv();
const app = next({ dev, dir: path.resolve(import.meta.dirname, '..'), port: env.PORT });
const handle = app.getRequestHandler();

await app.prepare();
const server = createServer((req, res) => {
  const verdict = screenRequest(
    { method: req.method, url: req.url, headers: req.headers, socketAddress: req.socket.remoteAddress },
    env.trustProxy,
  );
  if (!verdict.ok) {
    res.writeHead(400, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', Connection: 'close' });
    res.end(JSON.stringify({ error: { code: 'BadRequest', message: verdict.message } }));
    return;
  }
  handle(req, res).catch((err: unknown) => {
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
