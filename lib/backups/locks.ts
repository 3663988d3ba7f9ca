/**
 * The advisory lock that orders backups of a key's namespace (shared) against garbage collection of it (exclusive):
 * 63 bits of the key's uuid, as PostgreSQL's bigint lock ids take.
 */
export function keyLock(keyId: string): string {
  return BigInt(`0x${keyId.replace(/-/g, '').slice(0, 15)}`).toString();
}
