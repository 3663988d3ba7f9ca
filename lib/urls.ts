import type { Env } from '@/lib/services/settings';

/**
 * The portal's base URL for links that leave the browser (the credentials file's WebPortalLink, the ARM API's
 * nextLink and Azure-AsyncOperation): PORTAL_URL; without it, behind a trusted proxy (TRUST_PROXY=1) the host and
 * scheme that proxy forwarded, which server/http/edge.ts validated and strips from anyone else; else
 * http://localhost:$PORT. Never the client's Host header. A server action passes `{ headers: await headers() }`.
 */
export function portalOrigin(
  request: { headers: Pick<Headers, 'get'> },
  env: Pick<Env, 'PORTAL_URL' | 'trustProxy' | 'portalOrigin'>,
): string {
  if (env.PORTAL_URL || !env.trustProxy) return env.portalOrigin;
  const host = request.headers.get('x-forwarded-host');
  if (!host) return env.portalOrigin;
  return `${request.headers.get('x-forwarded-proto') === 'https' ? 'https' : 'http'}://${host}`;
}
