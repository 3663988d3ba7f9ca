import { jsonBody, sessionEndpoint } from '@/lib/backups/http';
import { failBackup } from '@/lib/backups/sessions';

export const dynamic = 'force-dynamic';

/** The agent gave up: the job fails with its reason. */
export async function POST(request: Request, { params }: { params: Promise<{ sessionId: string }> }) {
  return sessionEndpoint(request, params, async (svc, session) => failBackup(svc, session, await jsonBody(request)));
}
