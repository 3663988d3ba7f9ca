import { machineEndpoint } from '@/lib/backups/http';
import { machinePoints } from '@/lib/backups/items';

export const dynamic = 'force-dynamic';

/** The recovery points of one of the machine's folders: `?path=/abs/folder`. */
export async function GET(request: Request) {
  return machineEndpoint(request, (svc, machine) =>
    machinePoints(svc, machine, new URL(request.url).searchParams.get('path')),
  );
}
