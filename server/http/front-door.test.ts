import { describe, expect, it } from 'vitest';
import { cookieHeaderHasSession, frontDoor } from './front-door';

describe('frontDoor', () => {
  it('rewrites the ARM API whatever the case of /subscriptions, with or without a session', () => {
    expect(frontDoor('/subscriptions/abc/resourceGroups', '?api-version=1', false)).toEqual({
      kind: 'arm',
      path: '/api/arm/subscriptions/abc/resourceGroups?api-version=1',
    });
    expect(frontDoor('/Subscriptions/abc', '', true)).toEqual({ kind: 'arm', path: '/api/arm/Subscriptions/abc' });
  });

  it('sends a page visitor with no session cookie to sign in and back, and answers an API with 401', () => {
    expect(frontDoor('/settings/tokens', '', false)).toEqual({
      kind: 'sign-in',
      location: '/signin?callbackUrl=%2Fsettings%2Ftokens',
    });
    expect(frontDoor('/recovery-services', '?after=x&y=1', false)).toEqual({
      kind: 'sign-in',
      location: '/signin?callbackUrl=%2Frecovery-services%3Fafter%3Dx%26y%3D1',
    });
    expect(frontDoor('/api/operations', '', false)).toEqual({ kind: 'unauthenticated' });
  });

  it('lets in a session cookie anywhere, and the open paths without one', () => {
    expect(frontDoor('/recovery-services', '', true)).toEqual({ kind: 'pass' });
    expect(frontDoor('/api/operations', '', true)).toEqual({ kind: 'pass' });
    for (const path of ['/signin', '/invitations/abc', '/api/auth/csrf', '/api/health', '/api/agent/x', '/api/arm/x']) {
      expect(frontDoor(path, '', false), path).toEqual({ kind: 'pass' });
    }
  });
});

describe('cookieHeaderHasSession', () => {
  it("finds next-auth's session cookie over http and https by name, and nothing else", () => {
    expect(cookieHeaderHasSession('a=1; next-auth.session-token=xyz')).toBe(true);
    expect(cookieHeaderHasSession('__Secure-next-auth.session-token=xyz')).toBe(true);
    expect(cookieHeaderHasSession('next-auth.csrf-token=1; x=next-auth.session-token')).toBe(false);
    expect(cookieHeaderHasSession('next-auth.session-token.0=part')).toBe(false);
    expect(cookieHeaderHasSession(undefined)).toBe(false);
    expect(cookieHeaderHasSession('')).toBe(false);
  });
});
