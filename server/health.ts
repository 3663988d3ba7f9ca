import 'server-only';
import journal from '@/db/migrations/meta/_journal.json';
import { processDatabase } from '@/lib/services';

/** Healthy once the database answers and every committed migration has been applied to it. */
export async function checkHealth(): Promise<boolean> {
  try {
    const { rows } = await processDatabase().pool.query<{ applied: number }>(
      'select count(*)::int as applied from drizzle.__drizzle_migrations',
    );
    return (rows[0]?.applied ?? 0) >= journal.entries.length;
  } catch (err) {
    console.error('health check failed:', (err as Error).message);
    return false;
  }
}
