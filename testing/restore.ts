import * as completeRoute from '@/app/api/agent/restores/[restoreId]/complete/route';
import * as failRoute from '@/app/api/agent/restores/[restoreId]/fail/route';
import * as objectsRoute from '@/app/api/agent/restores/[restoreId]/objects/route';
import * as progressRoute from '@/app/api/agent/restores/[restoreId]/progress/route';
import * as restoresRoute from '@/app/api/agent/restores/route';

type Handler = (request: Request, context: { params: Promise<{ restoreId: string }> }) => Promise<Response>;

const STEPS: Record<string, Handler> = {
  objects: objectsRoute.POST,
  progress: progressRoute.POST,
  complete: completeRoute.POST,
  fail: failRoute.POST,
};

/** For routeFetch (lib/backups/testing.ts): answers the agent's restore calls with the portal's own route handlers. */
export function restoreRoutes(request: Request): Promise<Response> | undefined {
  const { pathname } = new URL(request.url);
  if (request.method !== 'POST') return undefined;
  if (pathname === '/api/agent/restores') return restoresRoute.POST(request);
  const step = /^\/api\/agent\/restores\/([^/]+)\/([a-z]+)$/.exec(pathname);
  const handler = step && STEPS[step[2]!];
  return handler ? handler(request, { params: Promise.resolve({ restoreId: step[1]! }) }) : undefined;
}
