import { jsonBody } from '@/lib/backups/http';
import { restoreEndpoint } from '@/lib/restore/http';
import { reportRestoreProgress } from '@/lib/restore/sessions';

export const dynamic = 'force-dynamic';

/** The restore's live figures, about once a second: also its heartbeat. */
export async function POST(request: Request, { params }: { params: Promise<{ restoreId: string }> }) {
  return restoreEndpoint(request, params, async (svc, restore) =>
    reportRestoreProgress(svc, restore, await jsonBody(request)),
  );
}
