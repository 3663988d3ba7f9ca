import { jsonBody, sessionEndpoint } from '@/lib/backups/http';
import { reportProgress } from '@/lib/backups/sessions';

export const dynamic = 'force-dynamic';

/** The agent's progress report, which is also its heartbeat. */
export async function POST(request: Request, { params }: { params: Promise<{ sessionId: string }> }) {
  return sessionEndpoint(request, params, async (svc, session) =>
    reportProgress(svc, session, await jsonBody(request)),
  );
}
