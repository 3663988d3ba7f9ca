import { type NextRequest, NextResponse } from 'next/server';
import { getEnv } from '@/lib/services/settings';
import { frontDoor, SESSION_COOKIES, UNAUTHENTICATED_BODY } from '@/server/http/front-door';
import { securityHeaders } from '@/server/http/headers';

/**
 * The front door (server/http/front-door.ts) for what scripts/serve.ts does not let in itself: the APIs, the ARM API
 * (rewritten to its handler before anything else: the SDKs follow redirects and would take an HTML page for an
 * answer), and everything when the app is served without it. Every answer gets the security headers, with a fresh nonce
 * in the Content-Security-Policy that Next.js puts on its own scripts (it reads the nonce from the request's header).
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const env = getEnv();
  const https = env.portalOrigin.startsWith('https:') || request.headers.get('x-forwarded-proto') === 'https';
  const { headers } = securityHeaders({ https, dev: env.NODE_ENV === 'development' });
  const withHeaders = (response: NextResponse) => {
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  };

  const verdict = frontDoor(
    pathname,
    search,
    SESSION_COOKIES.some((name) => request.cookies.has(name)),
  );
  if (verdict.kind === 'arm') return withHeaders(NextResponse.rewrite(new URL(verdict.path, request.url)));
  if (verdict.kind === 'unauthenticated') return withHeaders(NextResponse.json(UNAUTHENTICATED_BODY, { status: 401 }));
  if (verdict.kind === 'sign-in') return withHeaders(NextResponse.redirect(new URL(verdict.location, request.url)));
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', headers['Content-Security-Policy']);
  return withHeaders(NextResponse.next({ request: { headers: requestHeaders } }));
}

export const config = {
  // Everything but Next's static files and the icons in public/, which next.config.ts gives their headers, the agent's
  // API (machines authenticate themselves, no browser reads it, and a proxy buffers request bodies up to a limit,
  // 10 MB, silently cutting longer ones, where the agent uploads batches of objects), and the page renders that
  // scripts/serve.ts has given all of this already.
  matcher: [
    {
      source: '/((?!_next/static|_next/image|favicon.ico|icons/|api/agent/).*)',
      // FRONT_DOOR_HEADER, written out: Next.js reads this config without running the module.
      missing: [{ type: 'header', key: 'x-portal-front-door' }],
    },
  ],
};
