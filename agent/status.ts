import { AGENT_MESSAGES, AGENT_PATHS } from '@/wire/protocol';
import type { AgentContext } from './io';
import { callPortal, isStatusResponse } from './portal';
import { signMachineToken } from './proof';
import { readState } from './state';

/** Asks the portal what it knows of this machine, proving who is asking with the machine's own key. */
export async function status(options: { stateDir: string }, ctx: AgentContext): Promise<void> {
  const state = await readState(options.stateDir);
  if (!state) throw new Error(AGENT_MESSAGES.notRegistered);
  const token = await signMachineToken(state.serverId, state.machinePrivateKeyPem, ctx.now());
  const server = await callPortal({
    portalUrl: state.portalUrl,
    path: AGENT_PATHS.status,
    method: 'GET',
    headers: { authorization: `Bearer ${token}` },
    fetch: ctx.fetch,
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
