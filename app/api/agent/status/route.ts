import { agentEndpoint } from '@/lib/registration/http';
import { machineStatus } from '@/lib/registration/machine';
import { getServices } from '@/lib/services';

export const dynamic = 'force-dynamic';

/** A registered machine asks how it stands, signing with its own key. */
export async function GET(request: Request) {
  return agentEndpoint(async () => machineStatus(await getServices(), request.headers.get('authorization')));
}
