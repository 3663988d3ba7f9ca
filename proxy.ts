import { type NextRequest, NextResponse } from 'next/server';

// A fast redirect for visitors with no session cookie at all. It is not the check: every page and action verifies the
// session on the server (lib/auth/guard.ts).
export function proxy(request: NextRequest) {
  const hasSession =
    request.cookies.has('next-auth.session-token') || request.cookies.has('__Secure-next-auth.session-token');
  if (hasSession) return NextResponse.next();
  if (request.nextUrl.pathname.startsWith('/api/')) {
    return NextResponse.json({ error: 'Sign in to continue.' }, { status: 401 });
  }
  const url = new URL('/signin', request.url);
  url.searchParams.set('callbackUrl', request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.redirect(url);
}

export const config = {
  // Everything but sign-in, next-auth's own routes, the health check, the agent's API and static files.
  matcher: ['/((?!signin|api/auth|api/health|api/agent|_next/|favicon.ico).*)'],
};
