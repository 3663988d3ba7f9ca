import 'server-only';
import type pg from 'pg';
import { adherence, centerCharts, centerTiles, itemsByHealth, type Scope } from './queries';

/** The Items needing attention table's rows on the Backup center. */
export const ATTENTION_ROWS = 10;

/**
 * How long the Backup center's figures for one scope, window and page of the grid are served again: its page
 * refreshes itself every 10 s, and a fleet's figures cost the database about 90 ms, so every open page (and a
 * burst of them) asks the database at most once in this span. A user's scope is their own subscriptions: a figure
 * served again is never another subscription's.
 */
export const FIGURES_FRESH_MS = 5_000;
const KEPT = 200;

export type CenterFigures = {
  tiles: Awaited<ReturnType<typeof centerTiles>>;
  attention: Awaited<ReturnType<typeof itemsByHealth>>;
  grid: Awaited<ReturnType<typeof adherence>>;
  charts: Awaited<ReturnType<typeof centerCharts>>;
};

const recent = new Map<string, { at: number; figures: Promise<CenterFigures> }>();

export function centerFigures(
  pool: pg.Pool,
  scope: Scope,
  days: string[],
  itemsAfter: string | undefined,
): Promise<CenterFigures> {
  const key = JSON.stringify([scope, days[0], days.length, itemsAfter ?? '']);
  const now = Date.now();
  const hit = recent.get(key);
  if (hit && now - hit.at < FIGURES_FRESH_MS) return hit.figures;
  const figures = Promise.all([
    centerTiles(pool, scope),
    itemsByHealth(pool, scope, ['Failed', 'Inactive'], { limit: ATTENTION_ROWS }),
    adherence(pool, scope, days, { after: itemsAfter }),
    centerCharts(pool, scope, days),
  ]).then(([tiles, attention, grid, charts]) => ({ tiles, attention, grid, charts }));
  // A failure is not served again.
  figures.catch(() => recent.delete(key));
  recent.delete(key);
  recent.set(key, { at: now, figures });
  if (recent.size > KEPT) recent.delete(recent.keys().next().value!);
  return figures;
}
