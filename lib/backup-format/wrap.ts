/**
 * The vault key at rest: encrypted under a key derived from the owner's passphrase with Argon2id, so the server can
 * keep it (and hand it to a new machine or the browser) without being able to read any backup.
 */
import { argon2id } from 'hash-wasm';
import { aesGcmOpen, aesGcmSeal, DecryptError, fromBase64, randomBytes, toBase64 } from './crypto';
import { VAULT_KEY_BYTES } from './keys';

export type KdfParams = {
  algorithm: 'argon2id';
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  /** base64 */
  salt: string;
};

export type KdfCost = Pick<KdfParams, 'memoryKiB' | 'iterations' | 'parallelism'>;

export type WrappedVaultKey = {
  version: 1;
  kdf: KdfParams;
  /** base64, 12 bytes */
  nonce: string;
  /** base64, the 32-byte vault key followed by the 16-byte tag */
  ciphertext: string;
};

/** About 0.3 s in Node on one core (hash-wasm runs single-threaded); above OWASP's minimum of 19 MiB and 2 passes. */
export const DEFAULT_KDF: KdfCost = { memoryKiB: 65536, iterations: 3, parallelism: 1 };

const SALT_BYTES = 32;
const MIN_SALT_BYTES = 16;
const MAX_SALT_BYTES = 64;

/** What a server accepts from an agent: weaker settings would make a stolen database cheap to attack. */
export const KDF_BOUNDS = {
  memoryKiB: { min: 8 * 1024, max: 1024 * 1024 },
  iterations: { min: 1, max: 20 },
  parallelism: { min: 1, max: 8 },
} as const;

export class WrongPassphraseError extends Error {
  constructor(options?: ErrorOptions) {
    super('The passphrase is incorrect.', options);
    this.name = 'WrongPassphraseError';
  }
}

// Opening refuses only what would exhaust the machine; the lower bounds are a policy for new keys, checked by
// parseWrappedVaultKey, and weakened parameters cannot open a key anyway because they are authenticated.
function checkKdfLimits(kdf: KdfParams): void {
  const { memoryKiB, iterations, parallelism } = kdf;
  if (kdf.algorithm !== 'argon2id') throw new Error(`Unsupported key derivation ${String(kdf.algorithm)}.`);
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > KDF_BOUNDS.parallelism.max) {
    throw new Error(`Argon2id parallelism must be 1 to ${KDF_BOUNDS.parallelism.max}.`);
  }
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > KDF_BOUNDS.iterations.max) {
    throw new Error(`Argon2id iterations must be 1 to ${KDF_BOUNDS.iterations.max}.`);
  }
  if (!Number.isInteger(memoryKiB) || memoryKiB < 8 * parallelism || memoryKiB > KDF_BOUNDS.memoryKiB.max) {
    throw new Error(`Argon2id memory must be ${8 * parallelism} to ${KDF_BOUNDS.memoryKiB.max} KiB.`);
  }
  const salt = fromBase64(kdf.salt);
  if (salt.length < MIN_SALT_BYTES || salt.length > MAX_SALT_BYTES) {
    throw new Error(`The Argon2id salt must have ${MIN_SALT_BYTES} to ${MAX_SALT_BYTES} bytes.`);
  }
}

export async function derivePassphraseKey(passphrase: string, kdf: KdfParams): Promise<Uint8Array> {
  checkKdfLimits(kdf);
  return argon2id({
    // NFC so the same passphrase typed on macOS (often NFD) and elsewhere gives the same key.
    password: new TextEncoder().encode(passphrase.normalize('NFC')),
    salt: fromBase64(kdf.salt),
    iterations: kdf.iterations,
    parallelism: kdf.parallelism,
    memorySize: kdf.memoryKiB,
    hashLength: 32,
    outputType: 'binary',
  });
}

// Binding the parameters means a tampered copy (say, a server lowering them) fails to open instead of being trusted.
function wrapAad(version: number, kdf: KdfParams): Uint8Array {
  const fields = ['rsv-backup wrapped-key', version, kdf.algorithm, kdf.memoryKiB, kdf.iterations, kdf.parallelism];
  return new TextEncoder().encode(`${fields.join('\n')}\n${kdf.salt}`);
}

export async function wrapVaultKey(
  vaultKey: Uint8Array,
  passphrase: string,
  params: KdfCost = DEFAULT_KDF,
): Promise<WrappedVaultKey> {
  if (vaultKey.length !== VAULT_KEY_BYTES) throw new RangeError(`A vault key has ${VAULT_KEY_BYTES} bytes.`);
  const kdf: KdfParams = {
    algorithm: 'argon2id',
    memoryKiB: params.memoryKiB,
    iterations: params.iterations,
    parallelism: params.parallelism,
    salt: toBase64(randomBytes(SALT_BYTES)),
  };
  const passphraseKey = await derivePassphraseKey(passphrase, kdf);
  const nonce = randomBytes(12);
  const ciphertext = await aesGcmSeal(passphraseKey, nonce, vaultKey, wrapAad(1, kdf));
  return { version: 1, kdf, nonce: toBase64(nonce), ciphertext: toBase64(ciphertext) };
}

/** For callers that derive the passphrase key once (it is the slow part) and try it on several wrapped keys. */
export async function unwrapWithPassphraseKey(
  wrapped: WrappedVaultKey,
  passphraseKey: Uint8Array,
): Promise<Uint8Array> {
  const nonce = fromBase64(wrapped.nonce);
  const ciphertext = fromBase64(wrapped.ciphertext);
  try {
    return await aesGcmOpen(passphraseKey, nonce, ciphertext, wrapAad(wrapped.version, wrapped.kdf));
  } catch (err) {
    if (err instanceof DecryptError) throw new WrongPassphraseError({ cause: err });
    throw err;
  }
}

export async function unwrapVaultKey(wrapped: WrappedVaultKey, passphrase: string): Promise<Uint8Array> {
  return unwrapWithPassphraseKey(wrapped, await derivePassphraseKey(passphrase, wrapped.kdf));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function boundedInteger(value: unknown, name: string, bounds: { min: number; max: number }): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds.min || value > bounds.max) {
    throw new Error(`Invalid wrapped vault key: kdf.${name} must be an integer from ${bounds.min} to ${bounds.max}.`);
  }
  return value;
}

function base64Field(value: unknown, name: string, check: (length: number) => boolean): string {
  let length: number;
  try {
    if (typeof value !== 'string') throw new Error('not a string');
    length = fromBase64(value).length;
  } catch {
    throw new Error(`Invalid wrapped vault key: ${name} must be a base64 string.`);
  }
  if (!check(length)) throw new Error(`Invalid wrapped vault key: ${name} has the wrong length (${length} bytes).`);
  return value as string;
}

/**
 * Validates a wrapped key received from elsewhere (the server checks what an agent sends) and returns a copy holding
 * only the known fields. Enforces the minimum strength in KDF_BOUNDS.
 */
export function parseWrappedVaultKey(value: unknown): WrappedVaultKey {
  if (!isRecord(value)) throw new Error('Invalid wrapped vault key: not an object.');
  if (value.version !== 1) throw new Error('Invalid wrapped vault key: unsupported version.');
  const kdf = value.kdf;
  if (!isRecord(kdf)) throw new Error('Invalid wrapped vault key: kdf is missing.');
  if (kdf.algorithm !== 'argon2id') throw new Error('Invalid wrapped vault key: kdf.algorithm must be argon2id.');
  const parallelism = boundedInteger(kdf.parallelism, 'parallelism', KDF_BOUNDS.parallelism);
  return {
    version: 1,
    kdf: {
      algorithm: 'argon2id',
      memoryKiB: boundedInteger(kdf.memoryKiB, 'memoryKiB', KDF_BOUNDS.memoryKiB),
      iterations: boundedInteger(kdf.iterations, 'iterations', KDF_BOUNDS.iterations),
      parallelism,
      salt: base64Field(kdf.salt, 'kdf.salt', (n) => n >= MIN_SALT_BYTES && n <= MAX_SALT_BYTES),
    },
    nonce: base64Field(value.nonce, 'nonce', (n) => n === 12),
    ciphertext: base64Field(value.ciphertext, 'ciphertext', (n) => n === VAULT_KEY_BYTES + 16),
  };
}
