/**
 * OPERATION LOGS' filters as they stand in the page's URL, so a link shows the same list: `subscription`, `category`,
 * `status`, `q` (free text: vault, person, operation, target or detail) and one keyset cursor, `after` (older) or
 * `before` (newer). Isomorphic: the form and the query share it.
 */
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '@/lib/http/input';

export const LOG_CATEGORIES = [
  'Vaults',
  'Credentials',
  'Registrations',
  'Configuration',
  'Policies',
  'Backups',
  'Restores',
  'People',
  'Tokens',
  'Security',
  'Alerts',
] as const;

export const LOG_STATUSES = ['Succeeded', 'Failed', 'Started', 'Cancelled', 'Refused'] as const;

/** A page boundary: the (at, id) of an entry, as microseconds since the epoch (a timestamptz's full precision). */
export const cursorSchema = z.object({
  at: z.string().regex(/^\d{1,17}$/),
  id: z.uuid(),
});
export type LogCursor = z.infer<typeof cursorSchema>;

const filtersSchema = z.object({
  subscription: z.uuid().optional().catch(undefined),
  category: z.enum(LOG_CATEGORIES).optional().catch(undefined),
  status: z.enum(LOG_STATUSES).optional().catch(undefined),
  // PostgreSQL's text holds no NUL: a search for one is a search without it.
  q: z
    .string()
    .transform((q) => q.replaceAll('\u0000', '').trim())
    .pipe(z.string().max(200))
    .optional()
    .catch(undefined),
  after: z.string().max(200).optional().catch(undefined),
  before: z.string().max(200).optional().catch(undefined),
});

export type LogFilters = {
  subscription?: string;
  category?: (typeof LOG_CATEGORIES)[number];
  status?: (typeof LOG_STATUSES)[number];
  q?: string;
  after?: string;
  before?: string;
};

type SearchParams = Record<string, string | string[] | undefined>;

export function logCursor(cursor: LogCursor): string {
  return encodeCursor([cursor.at, cursor.id]);
}

/** A cursor from the URL, or undefined when it is not one this page made. */
export function decodeLogCursor(token: string | undefined): LogCursor | undefined {
  return decodeCursor(token, ([at, id]) => cursorSchema.safeParse({ at, id }).data);
}

/** The filters a URL asks for; values that mean nothing are dropped (the list is then unfiltered by them). */
export function parseLogFilters(params: SearchParams): LogFilters {
  const one = (name: string) => {
    const value = params[name];
    return (Array.isArray(value) ? value[0] : value)?.trim() || undefined;
  };
  const parsed = filtersSchema.parse({
    subscription: one('subscription'),
    category: one('category'),
    status: one('status'),
    q: one('q'),
    after: one('after'),
    before: one('before'),
  });
  const filters: LogFilters = { ...parsed, q: parsed.q || undefined };
  // One direction at a time: `after` wins.
  if (filters.after) filters.before = undefined;
  return filters;
}

/** The OPERATION LOGS URL of these filters (with a page cursor when given). */
export function logsHref(filters: LogFilters): string {
  const params = new URLSearchParams();
  for (const name of ['subscription', 'category', 'status', 'q', 'after', 'before'] as const) {
    const value = filters[name];
    if (value) params.set(name, value);
  }
  const query = params.toString();
  return `/operation-logs${query ? `?${query}` : ''}`;
}
