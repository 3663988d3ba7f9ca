import { AGENT_PATHS } from '@/wire/protocol';
import type { AgentContext } from './io';
import { callAsMachine, registeredState } from './machine';
import { isStatusResponse } from './portal';

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
      `Vault: ${server.vaultName} (${server.vaultId})`,
      `Machine: ${server.machineName}`,
      `Server ID: ${server.serverId}`,
      `Registered: ${server.registeredAt}`,
      `Status: ${server.status}`,
      '',
    ].join('\n'),
  );
}
