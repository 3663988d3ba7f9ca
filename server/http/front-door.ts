/**
 * What every request gets before the app sees it: the security headers (server/http/headers.ts, with a fresh nonce that
 * Next.js reads from the request's Content-Security-Policy header and puts on its own scripts), the ARM API rewritten
 * to its handler, and visitors with no session cookie at all sent to sign in (a fast short-cut, not the check, which
 * every page and action makes on the server: lib/auth/guard.ts). proxy.ts applies it to everything but page renders;
 * scripts/serve.ts applies it to page renders itself (issue 13: Next's proxy machinery cost about a twentieth of a
 * page's CPU) and marks them with FRONT_DOOR_HEADER so that the proxy skips them.
 */

import { SIGN_IN_TO_CONTINUE } from '@/lib/errors';

/** Set by scripts/serve.ts on the page renders it has let in (it removes the header from every request first). */
export const FRONT_DOOR_HEADER = 'x-portal-front-door';

/** ARM paths start with /subscriptions (the SDKs also send /Subscriptions). */
const ARM_PATH = /^\/subscriptions(\/|$)/i;

/**
 * Paths that answer without a session: sign-in, invitation links (the link is the credential), next-auth, the health
 * check, and the APIs with their own auth.
 */
const OPEN_PATH = /^\/(signin|invitations\/|api\/auth|api\/health|api\/agent|api\/arm\/|api\/emulator\/)/;

/** next-auth's session cookie, over http and over https. */
export const SESSION_COOKIES = ['next-auth.session-token', '__Secure-next-auth.session-token'] as const;

export type FrontDoorVerdict =
  /** The ARM API: served by app/api/arm at this path (and query). It authenticates with bearer tokens, never redirects. */
  | { kind: 'arm'; path: string }
  /** No session cookie on a page: sign in first, then come back. */
  | { kind: 'sign-in'; location: string }
  /** No session cookie on an API that needs one. */
  | { kind: 'unauthenticated' }
  | { kind: 'pass' };

export function frontDoor(pathname: string, search: string, hasSession: boolean): FrontDoorVerdict {
  if (ARM_PATH.test(pathname)) return { kind: 'arm', path: `/api/arm${pathname}${search}` };
  if (hasSession || OPEN_PATH.test(pathname)) return { kind: 'pass' };
  if (pathname.startsWith('/api/')) return { kind: 'unauthenticated' };
  return { kind: 'sign-in', location: `/signin?${new URLSearchParams({ callbackUrl: pathname + search })}` };
}

/** The route handlers' 401 body (`unauthenticated()` in lib/errors), answered here before a handler runs. */
export const UNAUTHENTICATED_BODY = { error: { code: 'unauthenticated', message: SIGN_IN_TO_CONTINUE } } as const;

/** Whether a Cookie header holds a session cookie (by name; the guard checks the cookie itself). */
export function cookieHeaderHasSession(cookie: string | undefined): boolean {
  if (!cookie) return false;
  return cookie.split(';').some((pair) => {
    const at = pair.indexOf('=');
    return (SESSION_COOKIES as readonly string[]).includes((at < 0 ? pair : pair.slice(0, at)).trim());
  });
}
