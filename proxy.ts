import { type NextRequest, NextResponse } from 'next/server';

/** ARM paths start with /subscriptions (the SDKs also send /Subscriptions). */
const ARM_PATH = /^\/subscriptions(\/|$)/i;

// A fast redirect for visitors with no session cookie at all. It is not the check: every page and action verifies the
// session on the server (lib/auth/guard.ts). The ARM API is rewritten to its handler before that: it authenticates
// with bearer tokens and must never redirect (the SDKs follow redirects and would take an HTML page for an answer).
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  if (ARM_PATH.test(pathname)) return NextResponse.rewrite(new URL(`/api/arm${pathname}${search}`, request.url));
  const hasSession =
    request.cookies.has('next-auth.session-token') || request.cookies.has('__Secure-next-auth.session-token');
  if (hasSession) return NextResponse.next();
  if (pathname.startsWith('/api/')) {
    return NextResponse.json({ error: 'Sign in to continue.' }, { status: 401 });
  }
  const url = new URL('/signin', request.url);
  url.searchParams.set('callbackUrl', pathname + search);
  return NextResponse.redirect(url);
}

export const config = {
  // Everything but sign-in, next-auth's own routes, the health check, the agent's and the ARM API and static files.
  matcher: ['/((?!signin|api/auth|api/health|api/agent|api/arm/|_next/|favicon.ico).*)'],
};
