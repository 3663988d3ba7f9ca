import type { NextRequest } from 'next/server';
import { handleArmRequest } from '@/lib/arm/router';
import { getServices } from '@/lib/services';

export const dynamic = 'force-dynamic';

/** The ARM-compatible API; proxy.ts rewrites /subscriptions/... (in any case) here. */
async function handle(request: NextRequest, { params }: { params: Promise<{ path: string[] }> }) {
  return handleArmRequest(request, (await params).path, await getServices());
}

export { handle as DELETE, handle as GET, handle as PATCH, handle as POST, handle as PUT };
