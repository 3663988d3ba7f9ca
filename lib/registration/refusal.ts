/**
 * Kept free of 'server-only' so that the portal's HTTP server (scripts/serve.ts, which runs outside Next's react-server
 * condition) can answer the agent's bulk data calls itself with the same refusals.
 */
import type { AgentErrorCode } from '@/wire/protocol';

/** A refusal the agent prints as is: the contract's exact messages. */
export class AgentRefusal extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
    readonly status = code === 'duplicate' ? 409 : code === 'revoked' ? 401 : 400,
  ) {
    super(message);
  }
}
