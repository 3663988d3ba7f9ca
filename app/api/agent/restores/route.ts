import { jsonBody, machineEndpoint } from '@/lib/backups/http';
import { startRestore } from '@/lib/restore/sessions';

export const dynamic = 'force-dynamic';

/** `recover`, or the agent's service taking a RECOVER TO SERVER request: starts a Restore job. */
export async function POST(request: Request) {
  return machineEndpoint(request, async (svc, machine) => startRestore(svc, machine, await jsonBody(request)));
}
