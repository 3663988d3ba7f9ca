import 'server-only';
import { currentUser } from '@/lib/auth/guard';
import { unauthenticated } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { jobsCsv, spanStart } from './jobs';
import { parseWindow } from './queries';
import { centerScope } from './scope';

/**
 * GET /api/backup-center/jobs?window=30&subscription=ID: jobs.csv of the window's backup and restore jobs across
 * the user's vaults (the JOBS columns plus VAULT, RFC 4180), streamed.
 */
export async function exportJobs(request: Request): Promise<Response> {
  const user = await currentUser();
  if (!user) return unauthenticated();
  const svc = await getServices();
  const params = new URL(request.url).searchParams;
  const { scope } = centerScope(user, params.get('subscription') ?? undefined);
  const window = parseWindow(params.get('window') ?? undefined);
  const from = spanStart(String(window) as '7' | '30' | '90', svc.clock.now());
  return new Response(jobsCsv(svc.pool, scope, from), {
    headers: {
      'Content-Type': 'text/csv; charset=utf-8; header=present',
      'Content-Disposition': 'attachment; filename="jobs.csv"',
      'Cache-Control': 'private, no-store',
    },
  });
}
