import { encode } from 'next-auth/jwt';
import { describe, expect, it } from 'vitest';
import { sessionUserId } from './session';

const SECRET = 'a-test-secret-of-some-length-0123456789';
const USER = '5f1c7c1e-2a57-4c36-9d1e-0b6f2b3c4d5e';

const jar = (entries: Record<string, string>) => ({
  get: (name: string) => (name in entries ? { value: entries[name]! } : undefined),
});

describe('sessionUserId', () => {
  it('reads the user id from a session next-auth encoded, under either cookie name', async () => {
    const token = await encode({ token: { sub: USER, email: 'a@example.com' }, secret: SECRET });
    expect(await sessionUserId(jar({ 'next-auth.session-token': token }), SECRET)).toBe(USER);
    expect(await sessionUserId(jar({ '__Secure-next-auth.session-token': token }), SECRET)).toBe(USER);
  });

  it('joins a session cookie next-auth split into chunks', async () => {
    const token = await encode({ token: { sub: USER }, secret: SECRET });
    const half = Math.floor(token.length / 2);
    const chunks = {
      'next-auth.session-token.0': token.slice(0, half),
      'next-auth.session-token.1': token.slice(half),
    };
    expect(await sessionUserId(jar(chunks), SECRET)).toBe(USER);
  });

  it('refuses no cookie, another secret, an altered token and an expired one', async () => {
    const token = await encode({ token: { sub: USER }, secret: SECRET });
    expect(await sessionUserId(jar({}), SECRET)).toBeNull();
    expect(await sessionUserId(jar({ 'next-auth.session-token': token }), `${SECRET}-other`)).toBeNull();
    const altered = `${token.slice(0, -3)}${token.slice(-3) === 'AAA' ? 'BBB' : 'AAA'}`;
    expect(await sessionUserId(jar({ 'next-auth.session-token': altered }), SECRET)).toBeNull();
    const expired = await encode({ token: { sub: USER }, secret: SECRET, maxAge: -60 });
    expect(await sessionUserId(jar({ 'next-auth.session-token': expired }), SECRET)).toBeNull();
    // And the same secret again after another one: the cached key follows the secret.
    expect(await sessionUserId(jar({ 'next-auth.session-token': token }), SECRET)).toBe(USER);
  });

  it('refuses a token without a subject', async () => {
    const token = await encode({ token: { email: 'a@example.com' }, secret: SECRET });
    expect(await sessionUserId(jar({ 'next-auth.session-token': token }), SECRET)).toBeNull();
  });
});

describe('sessionUserId refuses what next-auth would not have written', () => {
  it('refuses another algorithm in the header, a compressed token, and malformed tokens', async () => {
    const token = await encode({ token: { sub: USER }, secret: SECRET });
    const [, ...rest] = token.split('.');
    for (const header of [
      { alg: 'dir', enc: 'A128GCM' },
      { alg: 'A256KW', enc: 'A256GCM' },
      { alg: 'dir', enc: 'A256GCM', zip: 'DEF' },
    ]) {
      const forged = [Buffer.from(JSON.stringify(header)).toString('base64url'), ...rest].join('.');
      expect(await sessionUserId(jar({ 'next-auth.session-token': forged }), SECRET)).toBeNull();
    }
    expect(await sessionUserId(jar({ 'next-auth.session-token': `${token}.x` }), SECRET)).toBeNull();
    expect(await sessionUserId(jar({ 'next-auth.session-token': 'not-a-token' }), SECRET)).toBeNull();
  });

  it('accepts a token within the 15 s clock tolerance after expiry, as next-auth does, and refuses it after', async () => {
    const justExpired = await encode({ token: { sub: USER }, secret: SECRET, maxAge: -5 });
    expect(await sessionUserId(jar({ 'next-auth.session-token': justExpired }), SECRET)).toBe(USER);
    const longExpired = await encode({ token: { sub: USER }, secret: SECRET, maxAge: -20 });
    expect(await sessionUserId(jar({ 'next-auth.session-token': longExpired }), SECRET)).toBeNull();
  });
});
