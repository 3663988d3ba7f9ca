import { jsonBody, sessionEndpoint } from '@/lib/backups/http';
import { findMissing } from '@/lib/backups/sessions';

export const dynamic = 'force-dynamic';

/** Which of these object ids the vault lacks. */
export async function POST(request: Request, { params }: { params: Promise<{ sessionId: string }> }) {
  return sessionEndpoint(request, params, async (svc, session) => findMissing(svc, session, await jsonBody(request)));
}
