/**
 * A UUID in the canonical form PostgreSQL reads. Ids from paths, cursors and tokens are checked with this before any
 * query: anything else (`----…`, `aaaa…`, a NUL) would fail in the database (22P02) and answer 500, not "not found".
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
