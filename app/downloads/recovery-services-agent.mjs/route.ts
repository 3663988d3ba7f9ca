import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { currentUser } from '@/lib/auth/guard';
import { PortalError, portalErrorResponse, unauthenticated } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { FOLLOWS_PORTAL_CLOCK_LINE } from '@/wire/protocol';

export const dynamic = 'force-dynamic';

/** Built by `npm run build` (scripts/build-agent.mjs) from agent/: one file that runs with Node.js 20+. */
const agentFile = () => path.join(process.cwd(), 'dist', 'agent', 'recovery-services-agent.mjs');

export async function GET() {
  if (!(await currentUser())) return unauthenticated();
  const file = agentFile();
  const agent = await readFile(file).catch(() => undefined);
  if (!agent) {
    console.error(`The agent bundle is missing at ${file}: run \`npm run build\`.`);
    return portalErrorResponse(new PortalError('unavailable', 'The agent is not available on this portal.'));
  }
  const { env } = await getServices();
  return new Response(env.emulator ? followingPortalClock(agent) : agent, {
    headers: {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Content-Disposition': 'attachment; filename="recovery-services-agent.mjs"',
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

/**
 * An emulator's clock is moved by its tests, so the agent it hands out follows that clock: its first statement (after
 * the `#!` line, which must stay first) says so (agent/settings.ts).
 */
function followingPortalClock(agent: Buffer): Uint8Array<ArrayBuffer> {
  const marker = Buffer.from(`${FOLLOWS_PORTAL_CLOCK_LINE}\n`);
  const at = agent.subarray(0, 2).toString() === '#!' ? agent.indexOf('\n') + 1 : 0;
  const file = new Uint8Array(agent.length + marker.length);
  file.set(agent.subarray(0, at));
  file.set(marker, at);
  file.set(agent.subarray(at), at + marker.length);
  return file;
}
