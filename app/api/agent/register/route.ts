import { agentEndpoint } from '@/lib/registration/http';
import { registerMachine } from '@/lib/registration/register';
import { getServices } from '@/lib/services';

export const dynamic = 'force-dynamic';

/** The agent's registration: authenticated by its proof of possession of the vault credential, not by a session. */
export async function POST(request: Request) {
  return agentEndpoint(async () => {
    const body = (await request.json().catch(() => ({}))) as { proof?: unknown };
    return registerMachine(await getServices(), body?.proof);
  });
}
