/**
 * A UUID in the canonical form PostgreSQL reads. Ids from paths, cursors and tokens are checked with this before any
 * query: anything else (`----…`, `aaaa…`, a NUL) would fail in the database (22P02) and answer 500, not "not found".
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** Longer than any cursor the portal makes (a vault name of 50 characters and an id, as base64url JSON). */
const CURSOR_TOKEN = /^[A-Za-z0-9_-]{1,400}$/;

/**
 * A keyset cursor: the last row's sort key as an opaque token for the browser's next-page link (base64url of a JSON
 * array of strings). The one codec of the lists' cursors (vaults, jobs, operation logs).
 */
export function encodeCursor(values: readonly string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/**
 * The values of a cursor encodeCursor made, as `check` accepts them; undefined (the list's first page) for anything
 * else, before any query sees it: not a single string (`?after=a&after=b`), too long, not base64url, not a JSON array
 * of strings, a string PostgreSQL cannot hold (a NUL), or values `check` refuses.
 */
export function decodeCursor<T>(token: unknown, check: (values: string[]) => T | undefined): T | undefined {
  if (typeof token !== 'string' || !CURSOR_TOKEN.test(token)) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'string' && !v.includes('\u0000'))) return undefined;
  return check(values as string[]);
}
