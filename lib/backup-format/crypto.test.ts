import { afterEach, describe, expect, it } from 'vitest';
import {
  activeCryptoBackend,
  aesGcmOpen,
  aesGcmSeal,
  DecryptError,
  fromBase64,
  fromHex,
  hkdfSha256,
  hmacSha256,
  randomBytes,
  randomNonce,
  setCryptoBackend,
  toBase64,
  toHex,
} from './crypto';

const backends = ['subtle', 'fallback'] as const;
const text = (s: string) => new TextEncoder().encode(s);

afterEach(() => setCryptoBackend('auto'));

describe.each(backends)('the %s backend', (backend) => {
  it('is the one in use when forced', () => {
    setCryptoBackend(backend);
    expect(activeCryptoBackend()).toBe(backend);
  });

  it('computes HMAC-SHA256 as RFC 4231 specifies', async () => {
    setCryptoBackend(backend);
    const mac = await hmacSha256(text('Jefe'), text('what do ya want for nothing?'));
    expect(toHex(mac)).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('computes HKDF-SHA256 with an empty salt as RFC 5869 specifies (test case 3)', async () => {
    setCryptoBackend(backend);
    const okm = await hkdfSha256(new Uint8Array(22).fill(0x0b), '', 42);
    expect(toHex(okm)).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  it('refuses altered ciphertext, tag, associated data or key', async () => {
    setCryptoBackend(backend);
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const sealed = await aesGcmSeal(key, nonce, text('the plan'), text('aad'));
    expect(new TextDecoder().decode(await aesGcmOpen(key, nonce, sealed, text('aad')))).toBe('the plan');

    for (const index of [0, sealed.length - 1]) {
      const altered = sealed.slice();
      altered[index]! ^= 1;
      await expect(aesGcmOpen(key, nonce, altered, text('aad'))).rejects.toBeInstanceOf(DecryptError);
    }
    await expect(aesGcmOpen(key, nonce, sealed, text('aae'))).rejects.toBeInstanceOf(DecryptError);
    await expect(aesGcmOpen(randomBytes(32), nonce, sealed, text('aad'))).rejects.toBeInstanceOf(DecryptError);
    await expect(aesGcmOpen(key, nonce, sealed.subarray(0, 10), text('aad'))).rejects.toBeInstanceOf(DecryptError);
  });
});

describe('both backends', () => {
  it('produce identical bytes and open what the other sealed', async () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const plaintext = randomBytes(100_000);
    const aad = randomBytes(33);
    setCryptoBackend('subtle');
    const bySubtle = await aesGcmSeal(key, nonce, plaintext, aad);
    const macBySubtle = await hmacSha256(key, plaintext);
    setCryptoBackend('fallback');
    const byFallback = await aesGcmSeal(key, nonce, plaintext, aad);
    expect(toHex(byFallback)).toBe(toHex(bySubtle));
    expect(toHex(await hmacSha256(key, plaintext))).toBe(toHex(macBySubtle));
    expect(await aesGcmOpen(key, nonce, bySubtle, aad)).toEqual(plaintext);
    setCryptoBackend('subtle');
    expect(await aesGcmOpen(key, nonce, byFallback, aad)).toEqual(plaintext);
  });

  it('give the same HMAC for a reused key whatever the order of calls', async () => {
    const key = randomBytes(32);
    const inputs = [text('a'), text('b'), text('c')];
    setCryptoBackend('fallback');
    const concurrent = await Promise.all(inputs.map((input) => hmacSha256(key, input)));
    setCryptoBackend('subtle');
    for (const [i, input] of inputs.entries()) expect(concurrent[i]).toEqual(await hmacSha256(key, input));
  });
});

describe('encodings', () => {
  it('round-trip hex and base64 without Buffer', () => {
    const bytes = randomBytes(70_000);
    expect(fromHex(toHex(bytes))).toEqual(bytes);
    expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    expect(toHex(Uint8Array.of(0, 15, 255))).toBe('000fff');
    expect(toBase64(text('hi?'))).toBe('aGk/');
  });

  it('refuse malformed input', () => {
    expect(() => fromHex('abc')).toThrow();
    expect(() => fromHex('zz')).toThrow();
    expect(() => fromBase64('aGk')).toThrow();
    expect(() => fromBase64('aG k')).toThrow();
    expect(() => fromBase64('aGk_')).toThrow();
  });
});

describe('randomNonce', () => {
  it('cuts fresh bytes from its pool: never the same nonce twice, across refills', () => {
    // 1,000 nonces of 12 bytes use the 4 KiB pool about three times over.
    const nonces = Array.from({ length: 1000 }, () => randomNonce(12));
    expect(nonces.every((nonce) => nonce.length === 12)).toBe(true);
    expect(new Set(nonces.map((nonce) => Buffer.from(nonce).toString('hex'))).size).toBe(1000);
    // Each is a copy: changing one changes no other.
    const [first, second] = [randomNonce(12), randomNonce(12)];
    const before = Buffer.from(second).toString('hex');
    first.fill(0);
    expect(Buffer.from(second).toString('hex')).toBe(before);
  });
});
