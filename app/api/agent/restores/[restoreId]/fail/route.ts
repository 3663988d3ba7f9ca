import { jsonBody } from '@/lib/backups/http';
import { restoreEndpoint } from '@/lib/restore/http';
import { failRestore } from '@/lib/restore/sessions';

export const dynamic = 'force-dynamic';

/** The agent gave up: the Restore job fails with its reason. */
export async function POST(request: Request, { params }: { params: Promise<{ restoreId: string }> }) {
  return restoreEndpoint(request, params, async (svc, restore) => failRestore(svc, restore, await jsonBody(request)));
}
