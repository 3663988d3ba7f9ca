import { jsonBody, machineEndpoint } from '@/lib/backups/http';
import { registerWrappedKey } from '@/lib/backups/keys';

export const dynamic = 'force-dynamic';

/** A machine hands over its vault key, wrapped with its passphrase: the portal keeps it for restores elsewhere. */
export async function POST(request: Request) {
  return machineEndpoint(request, async (svc, machine) => {
    const body = (await jsonBody(request)) as { wrappedKey?: unknown };
    return registerWrappedKey(svc, machine, body?.wrappedKey);
  });
}
