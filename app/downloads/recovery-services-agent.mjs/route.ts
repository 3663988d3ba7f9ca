import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { currentUser } from '@/lib/auth/guard';
import { PortalError, portalErrorResponse, unauthenticated } from '@/lib/errors';

export const dynamic = 'force-dynamic';

/** Built by `npm run build` (scripts/build-agent.mjs) from agent/: one file that runs with Node.js 20+. */
const AGENT_FILE = path.join(process.cwd(), 'dist', 'agent', 'recovery-services-agent.mjs');

export async function GET() {
  if (!(await currentUser())) return unauthenticated();
  const agent = await readFile(AGENT_FILE).catch(() => undefined);
  if (!agent) {
    console.error(`The agent bundle is missing at ${AGENT_FILE}: run \`npm run build\`.`);
    return portalErrorResponse(new PortalError('unavailable', 'The agent is not available on this portal.'));
  }
  return new Response(agent, {
    headers: {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Content-Disposition': 'attachment; filename="recovery-services-agent.mjs"',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
