import type { IncomingMessage, RequestListener } from 'node:http';
import type { Services } from '@/lib/services';
import { serveAgentData } from '@/server/http/agent-data';
import { PORTAL, routeFetch, serveRoutesFrom } from '../backups';
import { restoreRoutes } from '../restore';

const HOP_BY_HOP = new Set(['host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * The portal's HTTP server (scripts/serve.ts) reduced to the agent's API, on `services`: the bulk calls on the fast
 * path (server/http/agent-data.ts), the rest handed to the route handlers as routeFetch maps them (backups and
 * restores). A route handler that throws is answered as Next.js answers it: HTTP 500 with no body.
 */
export function agentApi(services: Services): RequestListener {
  serveRoutesFrom(services);
  const routes = routeFetch(restoreRoutes).fetch;
  return (req, res) => {
    if (serveAgentData(req, res, () => ({ pool: services.pool, store: services.store }))) return;
    void (async () => {
      const body = await bodyOf(req);
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !HOP_BY_HOP.has(name)) headers.set(name, value);
      }
      const response = await routes(`${PORTAL}${req.url}`, {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      if (res.destroyed) return;
      res.writeHead(response.status, {
        'content-type': response.headers.get('content-type') ?? 'application/json',
        'content-length': String(bytes.length),
        'cache-control': 'no-store',
      });
      res.end(bytes);
    })().catch((error: unknown) => {
      console.error('agent call failed:', error);
      if (!res.headersSent && !res.destroyed) res.writeHead(500, { 'content-length': '0' }).end();
    });
  };
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
