import { AGENT_MESSAGES } from '@/wire/protocol';
import { followPortalClock, portalClockMoved } from './clock';
import type { AgentContext } from './io';
import { callPortal, PortalRefusal, type PortalRequest } from './portal';
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
 * once (a retried call is signed again). An agent that follows the portal's clock reads it before its first such call.
 */
export async function callAsMachine<T>(
  state: AgentState,
  ctx: AgentContext,
  request: Pick<PortalRequest<T>, 'path' | 'method' | 'body' | 'accept' | 'signal' | 'retry'>,
): Promise<T> {
  const how = { retry: request.retry, signal: request.signal };
  await followPortalClock(ctx, state.portalUrl, how);
  const call = () =>
    callPortal({
      portalUrl: state.portalUrl,
      fetch: ctx.fetch,
      headers: async () => ({
        authorization: `Bearer ${await signMachineToken(state.serverId, state.machinePrivateKeyPem, ctx.now())}`,
      }),
      ...request,
    });
  try {
    return await call();
  } catch (error) {
    // The portal refuses a token outside its time (too old, or from its future) as it refuses a deleted server's:
    // when the portal's clock moved since it was read, the call is signed again by the moved clock, once. The refused
    // call did nothing, so repeating it is safe.
    if (!(error instanceof PortalRefusal && error.code === 'revoked')) throw error;
    if (!(await portalClockMoved(ctx, state.portalUrl, how))) throw error;
    return call();
  }
}

/** For responses whose shape the agent trusts once the status is 2xx and the body is an object. */
export function isObject<T>(body: unknown): body is T {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}
