import 'server-only';
import { hkdfSync } from 'node:crypto';
import { jwtDecrypt } from 'jose';

/** next-auth's session cookie (the `__Secure-` one over HTTPS), split into `.0`, `.1`, ... when over 4 kB. */
const COOKIE_NAMES = ['__Secure-next-auth.session-token', 'next-auth.session-token'] as const;

type CookieReader = { get(name: string): { value: string } | undefined };

let derived: { secret: string; key: Uint8Array } | undefined;

/** next-auth's JWE key for the secret (HKDF-SHA256, its info string): derived once per process, not per request. */
function keyFor(secret: string): Uint8Array {
  if (derived?.secret !== secret) {
    const key = new Uint8Array(hkdfSync('sha256', secret, '', 'NextAuth.js Generated Encryption Key', 32));
    derived = { secret, key };
  }
  return derived.key;
}

function tokenOf(cookies: CookieReader): string | undefined {
  for (const name of COOKIE_NAMES) {
    const whole = cookies.get(name)?.value;
    if (whole) return whole;
    let joined = '';
    for (let i = 0; ; i++) {
      const chunk = cookies.get(`${name}.${i}`)?.value;
      if (!chunk) break;
      joined += chunk;
    }
    if (joined) return joined;
  }
  return undefined;
}

/**
 * The signed-in user's id from next-auth's session cookie, or null: the same check next-auth's getServerSession
 * makes (the JWE decrypts under the secret, with its 15 s clock tolerance on expiry) without its per-call work
 * (two key derivations, re-encrypting a refreshed token that a server component cannot set, a CSRF token).
 */
export async function sessionUserId(cookies: CookieReader, secret: string): Promise<string | null> {
  const token = tokenOf(cookies);
  if (!token) return null;
  try {
    const { payload } = await jwtDecrypt(token, keyFor(secret), { clockTolerance: 15 });
    return typeof payload.sub === 'string' && payload.sub ? payload.sub : null;
  } catch {
    return null;
  }
}
