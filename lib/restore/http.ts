import 'server-only';
import { agentEndpoint } from '@/lib/registration/http';
import { getServices, type Services } from '@/lib/services';
import { authenticateRestore, type RestoreSession } from './sessions';

/** An endpoint of a running restore, authenticated by its own token; a Response result is sent as it is. */
export async function restoreEndpoint(
  request: Request,
  params: Promise<{ restoreId: string }>,
  work: (svc: Services, restore: RestoreSession) => Promise<unknown>,
): Promise<Response> {
  let raw: Response | undefined;
  const answer = await agentEndpoint(async () => {
    const svc = await getServices();
    const { restoreId } = await params;
    const result = await work(svc, await authenticateRestore(svc, restoreId, request.headers.get('authorization')));
    if (result instanceof Response) raw = result;
    return result instanceof Response ? null : result;
  });
  return raw ?? answer;
}
