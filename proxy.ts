import { type NextRequest, NextResponse } from 'next/server';
import { getEnv } from '@/lib/env';
import { securityHeaders } from '@/lib/http/headers';

/** ARM paths start with /subscriptions (the SDKs also send /Subscriptions). */
const ARM_PATH = /^\/subscriptions(\/|$)/i;

/**
 * Paths that answer without a session: sign-in, invitation links (the link is the credential), next-auth, the health
 * check, and the APIs with their own auth.
 */
const OPEN_PATH = /^\/(signin|invitations\/|api\/auth|api\/health|api\/agent|api\/arm\/)/;

/**
 * Every page and API answer gets the security headers, with a fresh nonce in the Content-Security-Policy that Next.js
 * puts on its own scripts (it reads the nonce from the request's header). Visitors with no session cookie at all are
 * sent to sign in: a fast short-cut, not the check, which every page and action makes on the server
 * (lib/auth/guard.ts). The ARM API is rewritten to its handler before that: it authenticates with bearer tokens and
 * must never redirect (the SDKs follow redirects and would take an HTML page for an answer).
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

  if (ARM_PATH.test(pathname)) {
    return withHeaders(NextResponse.rewrite(new URL(`/api/arm${pathname}${search}`, request.url)));
  }
  const hasSession =
    request.cookies.has('next-auth.session-token') || request.cookies.has('__Secure-next-auth.session-token');
  if (!hasSession && !OPEN_PATH.test(pathname)) {
    if (pathname.startsWith('/api/')) {
      return withHeaders(
        NextResponse.json({ error: { code: 'unauthenticated', message: 'Sign in to continue.' } }, { status: 401 }),
      );
    }
    const url = new URL('/signin', request.url);
    url.searchParams.set('callbackUrl', pathname + search);
    return withHeaders(NextResponse.redirect(url));
  }
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('content-security-policy', headers['Content-Security-Policy']);
  return withHeaders(NextResponse.next({ request: { headers: requestHeaders } }));
}

export const config = {
  // Everything but Next's static files and the icons in public/, which next.config.ts gives their headers, and the
  // agent's API: machines authenticate themselves, no browser reads it, and a proxy buffers request bodies up to a
  // limit (10 MB), silently cutting longer ones, where the agent uploads batches of objects.
  matcher: ['/((?!_next/static|_next/image|favicon.ico|icons/|api/agent/).*)'],
};
