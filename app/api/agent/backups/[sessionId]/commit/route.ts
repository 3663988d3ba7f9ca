import { jsonBody, sessionEndpoint } from '@/lib/backups/http';
import { commitBackup } from '@/lib/backups/sessions';

export const dynamic = 'force-dynamic';

/** Commits the recovery point once everything it needs is stored. */
export async function POST(request: Request, { params }: { params: Promise<{ sessionId: string }> }) {
  return sessionEndpoint(request, params, async (svc, session) => commitBackup(svc, session, await jsonBody(request)));
}
