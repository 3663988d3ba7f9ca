import 'server-only';
import { getPool } from '@/db/client';
import journal from '@/db/migrations/meta/_journal.json';

/** Healthy once the database answers and every committed migration has been applied to it. */
export async function checkHealth(): Promise<boolean> {
  try {
    const { rows } = await getPool().query<{ applied: number }>(
      'select count(*)::int as applied from drizzle.__drizzle_migrations',
    );
    return (rows[0]?.applied ?? 0) >= journal.entries.length;
  } catch (err) {
    console.error('health check failed:', (err as Error).message);
    return false;
  }
}
