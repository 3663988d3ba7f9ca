import type { Env } from '@/lib/services/settings';
import { portalOrigin } from '@/lib/urls';

/**
 * Whether a state-changing request comes from the portal's own pages: the browser's Fetch Metadata says so, or its
 * Origin is the portal's (PORTAL_URL, or the host the request was addressed to, which another site cannot choose
 * while the browser names that site as the Origin). A request with neither header, or `Origin: null`, is refused.
 */
export function isSameOriginRequest(request: Request, env: Pick<Env, 'PORTAL_URL' | 'trustProxy' | 'portalOrigin'>) {
  const site = request.headers.get('sec-fetch-site');
  if (site) return site === 'same-origin';
  const origin = request.headers.get('origin');
  if (!origin || origin === 'null' || !URL.canParse(origin)) return false;
  const { host } = new URL(origin);
  return origin === portalOrigin(request, env) || host === request.headers.get('host');
}
