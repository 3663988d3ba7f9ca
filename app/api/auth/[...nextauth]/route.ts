import { NextRequest } from 'next/server';
import NextAuth from 'next-auth';
import { getAuthOptions } from '@/lib/auth/options';
import { PortalError, portalErrorResponse } from '@/lib/errors';

type Context = { params: Promise<{ nextauth: string[] }> };

/**
 * next-auth's routes, behind the checks next-auth does not make itself: it answers 500 for a credentials callback by
 * GET, for an `error` it cannot put in a Location header, and for a JSON body it cannot parse.
 */
async function handler(request: NextRequest, context: Context) {
  const [action, provider] = (await context.params).nextauth;
  if (action === 'callback' && provider === 'credentials' && request.method !== 'POST') {
    return portalErrorResponse(new PortalError('method_not_allowed', 'Sign in with the form on /signin.'), {
      Allow: 'POST',
    });
  }
  // next-auth's error page is the sign-in page, which shows its own messages: the error's text is not needed there.
  if (action === 'error') return new Response(null, { status: 302, headers: { Location: '/signin' } });
  if (request.method !== 'POST') return NextAuth(request, context, getAuthOptions());

  const body = await request.text();
  if ((request.headers.get('content-type') ?? '').includes('application/json')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return portalErrorResponse(new PortalError('invalid', 'The request body must be a JSON object.'));
    }
  }
  const replay = new NextRequest(request.url, { method: 'POST', headers: request.headers, body });
  return NextAuth(replay, context, getAuthOptions());
}

export { handler as GET, handler as POST };
