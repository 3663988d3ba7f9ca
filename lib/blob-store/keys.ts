/**
 * Keys are relative paths in the folder store, so they are checked before any file system or S3 call: nothing may climb
 * out of the root or hide among the store's own temporary files (which start with a dot).
 */
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
const MAX_KEY_LENGTH = 1024;
const MAX_SEGMENT_LENGTH = 255;

function validSegments(value: string): boolean {
  return value.split('/').every((segment) => segment.length <= MAX_SEGMENT_LENGTH && SEGMENT.test(segment));
}

/**
 * Throws unless the key is `segment/segment/...` of `[A-Za-z0-9_.-]`, no segment starting with a dot: a plain Error,
 * since a key the portal built wrongly is a fault of the server, never a refusal a user could see.
 */
export function assertBlobKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || !validSegments(key)) {
    throw new Error(`Invalid blob key "${String(key)}".`);
  }
}

/**
 * A prefix is matched as a string, as S3 does (`objects/ab` matches `objects/abc/...`); it may end with a slash, and
 * only `list` accepts the empty prefix, so a slip cannot delete the whole store.
 */
export function assertBlobPrefix(prefix: string, { allowEmpty }: { allowEmpty: boolean }): void {
  if (typeof prefix === 'string' && prefix === '' && allowEmpty) return;
  const trimmed = typeof prefix === 'string' && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  if (
    typeof trimmed !== 'string' ||
    trimmed.length === 0 ||
    trimmed.length > MAX_KEY_LENGTH ||
    !validSegments(trimmed)
  ) {
    throw new Error(`Invalid blob prefix "${String(prefix)}".`);
  }
}
