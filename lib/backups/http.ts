import 'server-only';
import { PortalError } from '@/lib/errors';
import { agentEndpoint } from '@/lib/registration/http';
import { type AuthenticatedMachine, authenticateMachine } from '@/lib/registration/machine';
import { getServices, type Services } from '@/lib/services';
import { authenticateSession, type BackupSession } from './sessions';

/** A JSON body, or the refusal that says it is not one. */
export async function jsonBody(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new PortalError('invalid', 'The request body must be JSON.');
  }
}

/** An endpoint a registered machine calls, signing with its own key. */
export function machineEndpoint(
  request: Request,
  work: (svc: Services, machine: AuthenticatedMachine) => Promise<unknown>,
): Promise<Response> {
  return agentEndpoint(async () => {
    const svc = await getServices();
    return work(svc, await authenticateMachine(svc, request.headers.get('authorization')));
  });
}

/** An endpoint of a running backup, authenticated by the session's own token. */
export function sessionEndpoint(
  request: Request,
  params: Promise<{ sessionId: string }>,
  work: (svc: Services, session: BackupSession) => Promise<unknown>,
): Promise<Response> {
  return agentEndpoint(async () => {
    const svc = await getServices();
    const { sessionId } = await params;
    return work(svc, await authenticateSession(svc, sessionId, request.headers.get('authorization')));
  });
}
