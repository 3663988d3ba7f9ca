import { jsonBody } from '@/lib/backups/http';
import { restoreEndpoint } from '@/lib/restore/http';
import { readObjects } from '@/lib/restore/sessions';

export const dynamic = 'force-dynamic';

/** Sealed objects of the point, as frames (see ReadObjectsRequest in wire/protocol.ts). */
export async function POST(request: Request, { params }: { params: Promise<{ restoreId: string }> }) {
  return restoreEndpoint(request, params, async (svc, restore) => readObjects(svc, restore, await jsonBody(request)));
}
