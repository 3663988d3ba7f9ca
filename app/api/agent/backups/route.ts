import { jsonBody, machineEndpoint } from '@/lib/backups/http';
import { startBackup } from '@/lib/backups/sessions';

export const dynamic = 'force-dynamic';

/** Starts a backup of one of the machine's protected folders: a Backup job and a session for its uploads. */
export async function POST(request: Request) {
  return machineEndpoint(request, async (svc, machine) => startBackup(svc, machine, await jsonBody(request)));
}
