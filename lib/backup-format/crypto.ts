/**
 * The few primitives the backup format needs, identical in Node (the agent) and the browser (the recovery-point browser).
 * WebCrypto is used where it exists; browsers hide `crypto.subtle` outside secure contexts (plain http on a host other
 * than localhost), so the same operations also run on hash-wasm (HMAC-SHA256) and @noble/ciphers (AES-GCM).
 *
 * Keys are treated as immutable: imported keys are cached per Uint8Array object, so mutating a key array after use
 * would keep using the old key.
 */
import { gcm } from '@noble/ciphers/aes';
import { createHMAC, createSHA256, type IHasher } from 'hash-wasm';

/** Decryption failed: the key, nonce, associated data or ciphertext is not what was sealed. */
export class DecryptError extends Error {
  constructor(message = 'Decryption failed: the data or its key does not match.', options?: ErrorOptions) {
    super(message, options);
    this.name = 'DecryptError';
  }
}

export type CryptoBackend = 'subtle' | 'fallback' | 'native';

/**
 * A synchronous implementation a runtime may offer (the agent registers node:crypto's): no promise and no copy of
 * every input per call, which is most of the cost of hashing and sealing a backup through WebCrypto in Node.
 */
export type NativeCrypto = {
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /**
   * Seals the concatenation of `parts`; returns `prefix`, the ciphertext and the 16-byte tag as pieces that follow
   * one another (not copied into one buffer).
   */
  aesGcmSeal(
    key: Uint8Array,
    nonce: Uint8Array,
    parts: Uint8Array[],
    aad: Uint8Array,
    prefix: Uint8Array,
  ): Uint8Array[];
  /** Throws when the tag does not verify. */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
};

let requested: CryptoBackend | 'auto' = 'auto';
let native: NativeCrypto | undefined;

/** Registers (or with undefined, removes) the runtime's native implementation; 'auto' then prefers it. */
export function registerNativeCrypto(implementation: NativeCrypto | undefined): void {
  native = implementation;
}

/** Forces one implementation (tests use this to prove both give the same bytes); 'auto' prefers WebCrypto. */
export function setCryptoBackend(backend: CryptoBackend | 'auto'): void {
  requested = backend;
}

/** The implementation the next call will use. */
export function activeCryptoBackend(): CryptoBackend {
  if (requested === 'fallback') return 'fallback';
  if (native && (requested === 'auto' || requested === 'native')) return 'native';
  if (requested === 'native') throw new Error('No native crypto implementation is registered.');
  if (globalThis.crypto?.subtle) return 'subtle';
  if (requested === 'subtle') throw new Error('WebCrypto (crypto.subtle) is not available here.');
  return 'fallback';
}

function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

// TypeScript's DOM types accept only ArrayBuffer-backed views; a view over a SharedArrayBuffer is copied.
function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

const hmacKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
const hmacHashers = new WeakMap<Uint8Array, Promise<IHasher>>();
const aesKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function cached<T>(map: WeakMap<Uint8Array, Promise<T>>, key: Uint8Array, make: () => Promise<T>): Promise<T> {
  let value = map.get(key);
  if (!value) {
    value = make();
    map.set(key, value);
  }
  return value;
}

// WebCrypto refuses zero-length HMAC keys; HMAC pads keys with zeros to the block size, so this key is equivalent.
const EMPTY_HMAC_KEY = new Uint8Array(32);

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = key.length === 0 ? EMPTY_HMAC_KEY : key;
  const backend = activeCryptoBackend();
  if (backend === 'native') return native!.hmacSha256(k, data);
  if (backend === 'subtle') {
    const cryptoKey = await cached(hmacKeys, k, () =>
      subtle().importKey('raw', bufferSource(k), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']),
    );
    return new Uint8Array(await subtle().sign('HMAC', cryptoKey, bufferSource(data)));
  }
  const hasher = await cached(hmacHashers, k, () => createHMAC(createSHA256(), k));
  // init, update and digest run without an await between them, so concurrent calls cannot interleave on one hasher.
  hasher.init();
  hasher.update(data);
  return hasher.digest('binary');
}

/** HKDF-SHA256 (RFC 5869) with an empty salt, built on HMAC so both backends share it. */
export async function hkdfSha256(ikm: Uint8Array, info: string, length: number): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) throw new RangeError(`HKDF length ${length}`);
  const prk = await hmacSha256(EMPTY_HMAC_KEY, ikm);
  const infoBytes = new TextEncoder().encode(info);
  const out = new Uint8Array(length);
  let previous: Uint8Array = new Uint8Array(0);
  for (let block = 1, filled = 0; filled < length; block++) {
    const input = new Uint8Array(previous.length + infoBytes.length + 1);
    input.set(previous, 0);
    input.set(infoBytes, previous.length);
    input[input.length - 1] = block;
    previous = await hmacSha256(prk, input);
    out.set(previous.subarray(0, Math.min(32, length - filled)), filled);
    filled += 32;
  }
  return out;
}

function checkAesParams(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`AES-256-GCM needs a 32-byte key, got ${key.length}`);
  if (nonce.length !== 12) throw new RangeError(`AES-GCM needs a 12-byte nonce, got ${nonce.length}`);
}

function aesKey(key: Uint8Array): Promise<CryptoKey> {
  return cached(aesKeys, key, () =>
    subtle().importKey('raw', bufferSource(key), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']),
  );
}

/** AES-256-GCM; returns ciphertext followed by the 16-byte tag. */
export async function aesGcmSeal(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  return concat(await aesGcmSealParts(key, nonce, [plaintext], aad, new Uint8Array(0)));
}

/**
 * AES-256-GCM of the concatenation of `parts`, returned after `prefix` as pieces that follow one another: callers
 * that frame the result avoid building the plaintext, and callers that send it (the agent's uploads) copying the
 * ciphertext again.
 */
export async function aesGcmSealParts(
  key: Uint8Array,
  nonce: Uint8Array,
  parts: Uint8Array[],
  aad: Uint8Array,
  prefix: Uint8Array,
): Promise<Uint8Array[]> {
  checkAesParams(key, nonce);
  const backend = activeCryptoBackend();
  if (backend === 'native') return native!.aesGcmSeal(key, nonce, parts, aad, prefix);
  const ciphertext = await aesGcmSealOne(backend, key, nonce, concat(parts), aad);
  return prefix.length === 0 ? [ciphertext] : [prefix, ciphertext];
}

export function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function aesGcmSealOne(
  backend: CryptoBackend,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  if (backend === 'subtle') {
    const params = { name: 'AES-GCM', iv: bufferSource(nonce), additionalData: bufferSource(aad), tagLength: 128 };
    return new Uint8Array(await subtle().encrypt(params, await aesKey(key), bufferSource(plaintext)));
  }
  return gcm(key, nonce, aad).encrypt(plaintext);
}

/** Opens what aesGcmSeal sealed; throws DecryptError when anything was altered or the key is wrong. */
export async function aesGcmOpen(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad: Uint8Array,
): Promise<Uint8Array> {
  checkAesParams(key, nonce);
  if (sealed.length < 16) throw new DecryptError('Decryption failed: the data is shorter than its tag.');
  try {
    const backend = activeCryptoBackend();
    if (backend === 'native') return native!.aesGcmOpen(key, nonce, sealed, aad);
    if (backend === 'subtle') {
      const params = { name: 'AES-GCM', iv: bufferSource(nonce), additionalData: bufferSource(aad), tagLength: 128 };
      return new Uint8Array(await subtle().decrypt(params, await aesKey(key), bufferSource(sealed)));
    }
    return gcm(key, nonce, aad).decrypt(sealed);
  } catch (err) {
    // With key and nonce lengths checked above, the only way left for either implementation to fail is a bad tag.
    throw new DecryptError(undefined, { cause: err });
  }
}

// getRandomValues refuses more than 65,536 bytes per call.
const RANDOM_CHUNK = 65536;

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += RANDOM_CHUNK) globalThis.crypto.getRandomValues(out.subarray(i, i + RANDOM_CHUNK));
  return out;
}

// Nonces are cut from a pool of random bytes, each byte used once: a call to the system's generator for every
// object's 12 bytes cost about 8 us, as much as sealing a small file's chunk.
const NONCE_POOL_BYTES = 4096;
let noncePool: Uint8Array = new Uint8Array(0);
let noncePoolUsed = 0;

/** `n` fresh random bytes (n at most 4096), for a nonce. */
export function randomNonce(n: number): Uint8Array {
  if (noncePoolUsed + n > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_BYTES);
    noncePoolUsed = 0;
  }
  noncePoolUsed += n;
  return noncePool.slice(noncePoolUsed - n, noncePoolUsed);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b];
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error('Not a hexadecimal string.');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Strict standard base64 with padding: anything else (whitespace, URL alphabet, missing padding) is refused. */
export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new Error('Not a base64 string.');
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
