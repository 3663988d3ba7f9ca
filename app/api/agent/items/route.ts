import { jsonBody, machineEndpoint } from '@/lib/backups/http';
import { changeProtection, machineItems } from '@/lib/backups/items';

export const dynamic = 'force-dynamic';

/** The machine's protected items, with the BACKUP NOW requests its service picks up. */
export async function GET(request: Request) {
  return machineEndpoint(request, (svc, machine) => machineItems(svc, machine));
}

/** protect / unprotect folders. */
export async function POST(request: Request) {
  return machineEndpoint(request, async (svc, machine) => changeProtection(svc, machine, await jsonBody(request)));
}
