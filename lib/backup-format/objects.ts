/**
 * Content-addressed, encrypted objects: file chunks and directory listings alike. An object's id is a keyed hash of
 * its plaintext, so equal content dedupes within a vault while the server, which lacks the key, learns nothing from
 * ids; the sealed bytes are authenticated and bound to their id, so the server cannot swap or alter objects unnoticed.
 */
import { aesGcmOpen, aesGcmSealParts, concat, DecryptError, fromHex, hmacSha256, randomNonce, toHex } from './crypto';
import { CHUNK_SIZES } from './fastcdc';
import type { VaultKeys } from './keys';

export const OBJECT_ID_PATTERN = /^[0-9a-f]{64}$/;

const FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FLAG_RAW = 0;
const FLAG_ZSTD = 1;

/** Version byte, nonce, tag and the compression flag: sealed size = plaintext (or compressed) size + this. */
export const SEAL_OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES + 1;

/** The largest sealed object: a maximal chunk stored raw. Listings must fit too. */
export const MAX_SEALED_SIZE = CHUNK_SIZES.max + SEAL_OVERHEAD;

export type Compress = (plain: Uint8Array) => Uint8Array | Promise<Uint8Array>;
export type Decompress = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/** An object failed to decrypt or does not hash to its id: altered, truncated, or stored under the wrong name. */
export class CorruptObjectError extends Error {
  constructor(
    readonly objectId: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`Object ${objectId} is corrupt: ${reason}.`, options);
    this.name = 'CorruptObjectError';
  }
}

export async function objectId(keys: VaultKeys, plaintext: Uint8Array): Promise<string> {
  return toHex(await hmacSha256(keys.idKey, plaintext));
}

function idBytes(id: string): Uint8Array {
  if (!OBJECT_ID_PATTERN.test(id)) throw new Error(`Not an object id: ${JSON.stringify(id.slice(0, 80))}.`);
  return fromHex(id);
}

// The associated data names the object, so a valid object stored under another id fails to open.
function sealAad(id: string): Uint8Array {
  const aad = new Uint8Array(33);
  aad[0] = FORMAT_VERSION;
  aad.set(idBytes(id), 1);
  return aad;
}

/** Storing the compressed form must save at least this share, or incompressible data pays decompression for nothing. */
const MIN_COMPRESSION_SAVING = 0.03;

/** Encrypts an object whose id the caller computed with objectId; `compress` is used only when it pays. */
export async function sealObject(
  keys: VaultKeys,
  id: string,
  plaintext: Uint8Array,
  compress?: Compress,
): Promise<Uint8Array> {
  return concat(await sealObjectPieces(keys, id, plaintext, compress));
}

/** The sealed object as pieces that follow one another, for a caller that sends them without joining them first. */
export async function sealObjectPieces(
  keys: VaultKeys,
  id: string,
  plaintext: Uint8Array,
  compress?: Compress,
): Promise<Uint8Array[]> {
  const aad = sealAad(id);
  let flag = FLAG_RAW;
  let body = plaintext;
  if (compress && plaintext.length > 0) {
    const compressed = await compress(plaintext);
    if (compressed.length <= plaintext.length * (1 - MIN_COMPRESSION_SAVING)) {
      flag = FLAG_ZSTD;
      body = compressed;
    }
  }
  if (body.length + SEAL_OVERHEAD > MAX_SEALED_SIZE) {
    throw new RangeError(
      `Object ${id} would be ${body.length + SEAL_OVERHEAD} bytes sealed; the limit is ${MAX_SEALED_SIZE}.`,
    );
  }
  const nonce = randomNonce(NONCE_BYTES);
  const header = new Uint8Array(1 + NONCE_BYTES);
  header[0] = FORMAT_VERSION;
  header.set(nonce, 1);
  return aesGcmSealParts(keys.encKey, nonce, [Uint8Array.of(flag), body], aad, header);
}

/** Decrypts, decompresses and checks that the plaintext hashes to `id`; throws CorruptObjectError otherwise. */
export async function openObject(
  keys: VaultKeys,
  id: string,
  sealed: Uint8Array,
  decompress: Decompress,
): Promise<Uint8Array> {
  const aad = sealAad(id);
  if (sealed.length < SEAL_OVERHEAD) throw new CorruptObjectError(id, 'it is too short');
  if (sealed[0] !== FORMAT_VERSION) throw new CorruptObjectError(id, `unknown format version ${sealed[0]}`);
  let payload: Uint8Array;
  try {
    payload = await aesGcmOpen(keys.encKey, sealed.subarray(1, 1 + NONCE_BYTES), sealed.subarray(1 + NONCE_BYTES), aad);
  } catch (err) {
    if (err instanceof DecryptError)
      throw new CorruptObjectError(id, 'it does not decrypt under this vault key', { cause: err });
    throw err;
  }
  const flag = payload[0];
  const body = payload.subarray(1);
  let plaintext: Uint8Array;
  if (flag === FLAG_RAW) plaintext = body;
  else if (flag === FLAG_ZSTD) {
    try {
      plaintext = await decompress(body);
    } catch (err) {
      throw new CorruptObjectError(id, 'it does not decompress', { cause: err });
    }
  } else throw new CorruptObjectError(id, `unknown compression flag ${flag}`);
  // Authenticated encryption already proves the vault's key sealed it; this proves the content is what the id names,
  // which guards against a bug or a compromised machine of the same vault storing wrong content under an id.
  if ((await objectId(keys, plaintext)) !== id) throw new CorruptObjectError(id, 'its content does not match its id');
  return plaintext;
}
