/** Where a sealed object lives: its key's namespace, then a fan-out by the id's first byte. */
export function objectBlobKey(keyId: string, objectId: string): string {
  return `${keyPrefix(keyId)}${objectId.slice(0, 2)}/${objectId}`;
}

export function keyPrefix(keyId: string): string {
  return `objects/${keyId}/`;
}
