import 'server-only';
import { createDecipheriv, hkdfSync } from 'node:crypto';

/** next-auth's session cookie (the `__Secure-` one over HTTPS), split into `.0`, `.1`, ... when over 4 kB. */
const COOKIE_NAMES = ['__Secure-next-auth.session-token', 'next-auth.session-token'] as const;

/** The only protected header next-auth 4 writes: direct encryption with AES-256-GCM. */
const HEADER = { alg: 'dir', enc: 'A256GCM' } as const;

/** next-auth's tolerance for clock skew when checking expiry (its `decode` passes 15 s to jose). */
const CLOCK_TOLERANCE_SECONDS = 15;

type CookieReader = { get(name: string): { value: string } | undefined };

let derived: { secret: string; key: Buffer } | undefined;

/** next-auth's JWE key for the secret (HKDF-SHA256, its info string): derived once per process, not per request. */
function keyFor(secret: string): Buffer {
  if (derived?.secret !== secret) {
    const key = Buffer.from(hkdfSync('sha256', secret, '', 'NextAuth.js Generated Encryption Key', 32));
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
 * The claims of a compact JWE as next-auth 4 writes it (RFC 7516: `dir` + A256GCM, the protected header as the
 * additional data), or null when it is not one, does not decrypt and authenticate under the key, or has expired.
 * node:crypto does it synchronously in microseconds; WebCrypto (jose) took a round trip through the thread pool.
 */
function decrypt(token: string, key: Buffer, now = Date.now() / 1000): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 5) return null;
  const [protectedHeader, encryptedKey, iv, ciphertext, tag] = parts as [string, string, string, string, string];
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(protectedHeader, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const h = header as Record<string, unknown> | null;
  if (!h || typeof h !== 'object' || Object.keys(h).length !== 2 || h.alg !== HEADER.alg || h.enc !== HEADER.enc)
    return null;
  const ivBytes = Buffer.from(iv, 'base64url');
  const tagBytes = Buffer.from(tag, 'base64url');
  if (encryptedKey !== '' || ivBytes.length !== 12 || tagBytes.length !== 16) return null;
  let claims: unknown;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, ivBytes, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
    decipher.setAuthTag(tagBytes);
    const plain = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    claims = JSON.parse(plain.toString('utf8'));
  } catch {
    return null;
  }
  if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return null;
  const { exp, nbf } = claims as { exp?: unknown; nbf?: unknown };
  // next-auth always sets exp; a token without one is not its session.
  if (typeof exp !== 'number' || exp <= now - CLOCK_TOLERANCE_SECONDS) return null;
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + CLOCK_TOLERANCE_SECONDS)) return null;
  return claims as Record<string, unknown>;
}

/**
 * The signed-in user's id from next-auth's session cookie, or null: the check next-auth's getServerSession makes
 * (the JWE decrypts and authenticates under the secret's key; not expired, with its 15 s tolerance) without its
 * per-call work (two key derivations, re-encrypting a refreshed token that a server component cannot set, a CSRF
 * token). lib/auth/session.test.ts checks it against tokens next-auth itself encodes.
 */
export async function sessionUserId(cookies: CookieReader, secret: string): Promise<string | null> {
  const token = tokenOf(cookies);
  if (!token) return null;
  const claims = decrypt(token, keyFor(secret));
  return typeof claims?.sub === 'string' && claims.sub ? claims.sub : null;
}
