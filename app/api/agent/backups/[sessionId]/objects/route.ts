import { sessionEndpoint } from '@/lib/backups/http';
import { storeObjects } from '@/lib/backups/sessions';

export const dynamic = 'force-dynamic';

/** A batch of sealed objects (see OBJECT_FRAME_HEADER in wire/protocol.ts for the framing). */
export async function POST(request: Request, { params }: { params: Promise<{ sessionId: string }> }) {
  return sessionEndpoint(request, params, (svc, session) => storeObjects(svc, session, request));
}
