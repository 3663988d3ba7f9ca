import { AGENT_PATHS } from '@/wire/protocol';
import { readExclusions } from './exclusions';
import type { AgentContext } from './io';
import { callAsMachine, registeredState } from './machine';
import { isStatusResponse } from './portal';
import { proxyFor } from './proxy';
import { describeThrottle } from './throttle';

/** Asks the portal what it knows of this machine, proving who is asking with the machine's own key. */
export async function status(options: { stateDir: string }, ctx: AgentContext): Promise<void> {
  const state = await registeredState(options.stateDir);
  const server = await callAsMachine(state, ctx, {
    path: AGENT_PATHS.status,
    method: 'GET',
    accept: isStatusResponse,
  });
  ctx.stdout.write(
    [
      `Portal: ${state.portalUrl}`,
      // The proxy the agent reaches it through (agent/proxy.ts), its password masked.
      ...[proxyFor(state.portalUrl)?.display].filter((proxy) => proxy !== undefined).map((proxy) => `Proxy: ${proxy}`),
      `Vault: ${server.vaultName} (${server.vaultId})`,
      `Machine: ${server.machineName}`,
      `Server ID: ${server.serverId}`,
      `Registered: ${server.registeredAt}`,
      `Status: ${server.status}`,
      // The upload throttle, which only this machine knows (agent/throttle.ts); no line when there is none.
      ...(state.throttle ? [describeThrottle(state.throttle)] : []),
      // The folders' `protect --exclude` patterns, which only this machine knows.
      ...[...(await readExclusions(options.stateDir))].map(
        ([folder, patterns]) => `Excluded from backups of ${folder}: ${patterns.join(', ')}`,
      ),
      '',
    ].join('\n'),
  );
}
