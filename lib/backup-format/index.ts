export {
  activeCryptoBackend,
  aesGcmOpen,
  aesGcmSeal,
  aesGcmSealParts,
  type CryptoBackend,
  DecryptError,
  fromBase64,
  fromHex,
  hkdfSha256,
  hmacSha256,
  type NativeCrypto,
  randomBytes,
  registerNativeCrypto,
  setCryptoBackend,
  toBase64,
  toHex,
} from './crypto';
export { CHUNK_SIZES, Chunker, type ChunkSizes, findBoundary } from './fastcdc';
export { deriveVaultKeys, newVaultKey, VAULT_KEY_BYTES, type VaultKeys } from './keys';
export {
  type Compress,
  CorruptObjectError,
  type Decompress,
  MAX_SEALED_SIZE,
  OBJECT_ID_PATTERN,
  objectId,
  openObject,
  SEAL_OVERHEAD,
  sealObject,
  sealObjectPieces,
} from './objects';
export {
  decodeSkippedList,
  encodeSkippedList,
  SKIPPED_LIST_MAX_BYTES,
  type SkippedFile,
  type SkippedList,
} from './skipped';
export { decodeTree, encodeTree, type Tree, type TreeEntry } from './tree';
export {
  DEFAULT_KDF,
  derivePassphraseKey,
  KDF_BOUNDS,
  type KdfCost,
  type KdfParams,
  parseWrappedVaultKey,
  unwrapVaultKey,
  unwrapWithPassphraseKey,
  type WrappedVaultKey,
  WrongPassphraseError,
  wrapVaultKey,
} from './wrap';
