import { jsonBody, machineEndpoint } from '@/lib/backups/http';
import { registerWrappedKey } from '@/lib/backups/keys';
import type { KeyRequest } from '@/wire/protocol';

export const dynamic = 'force-dynamic';

/**
 * A machine hands over its vault key, wrapped with its passphrase: the portal keeps it for restores elsewhere. With
 * `replaces`, it changed its passphrase and the new wrapping takes the old one's place.
 */
export async function POST(request: Request) {
  return machineEndpoint(request, async (svc, machine) => {
    const body = (await jsonBody(request)) as Partial<KeyRequest> | null;
    return registerWrappedKey(svc, machine, body?.wrappedKey, body?.replaces);
  });
}
