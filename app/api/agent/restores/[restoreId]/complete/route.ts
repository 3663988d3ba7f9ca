import { jsonBody } from '@/lib/backups/http';
import { restoreEndpoint } from '@/lib/restore/http';
import { completeRestore } from '@/lib/restore/sessions';

export const dynamic = 'force-dynamic';

/** The restore finished: the Restore job succeeds. */
export async function POST(request: Request, { params }: { params: Promise<{ restoreId: string }> }) {
  return restoreEndpoint(request, params, async (svc, restore) =>
    completeRestore(svc, restore, await jsonBody(request)),
  );
}
