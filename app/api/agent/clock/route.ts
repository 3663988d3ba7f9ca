import { agentEndpoint } from '@/lib/registration/http';
import { getServices } from '@/lib/services';
import type { ClockResponse } from '@/wire/protocol';

export const dynamic = 'force-dynamic';

/**
 * The portal's time, for agents that follow the portal's clock (agent/clock.ts). Asked without credentials: it
 * discloses only the time, which outside emulator mode is the real time.
 */
export async function GET() {
  return agentEndpoint(async (): Promise<ClockResponse> => ({ now: (await getServices()).clock.now().toISOString() }));
}
