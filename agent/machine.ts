import { AGENT_MESSAGES } from '@/wire/protocol';
import type { AgentContext } from './io';
import { callPortal, type PortalRequest } from './portal';
import { signMachineToken } from './proof';
import { type AgentState, readState } from './state';

/** The registered machine's state, or the contract's refusal when this state directory never registered. */
export async function registeredState(stateDir: string): Promise<AgentState> {
  const state = await readState(stateDir);
  if (!state) throw new Error(AGENT_MESSAGES.notRegistered);
  return state;
}

/**
 * One call to the portal signed with the machine's own key: a fresh token per attempt, since each nonce is accepted
 * once (a retried call is signed again).
 */
export async function callAsMachine<T>(
  state: AgentState,
  ctx: AgentContext,
  request: Pick<PortalRequest<T>, 'path' | 'method' | 'body' | 'accept' | 'signal' | 'retry'>,
): Promise<T> {
  return callPortal({
    portalUrl: state.portalUrl,
    fetch: ctx.fetch,
    headers: async () => ({
      authorization: `Bearer ${await signMachineToken(state.serverId, state.machinePrivateKeyPem, ctx.now())}`,
    }),
    ...request,
  });
}

/** For responses whose shape the agent trusts once the status is 2xx and the body is an object. */
export function isObject<T>(body: unknown): body is T {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}
