/**
 * The agent's endpoints' edge, kept free of 'server-only' so that the portal's HTTP server (scripts/serve.ts, which
 * runs outside Next's react-server condition) answers the agent's bulk data calls (server/http/agent-data.ts) with the
 * same refusals as the route handlers (lib/registration/http.ts).
 */
import { databaseUnavailable, type ErrorCode, PortalError } from '@/lib/errors';
import type { AgentErrorCode, AgentErrorResponse } from '@/wire/protocol';

/**
 * Each code's status and the wire code the agent reads (wire/protocol.ts), as the agent has always received them:
 * `invalid` is a 401 for a machine's, a session's or a restore's token (`invalid_token`) but a 400 for a registration's
 * proof (`invalid_credentials`); a missing machine token is a 401 `bad_request`; `not_found` and `conflict` are 400s,
 * but an object a recovery point does not hold (`no_such_object`) is a 404.
 */
export const AGENT_ERRORS: Record<ErrorCode, readonly [status: number, wireCode: AgentErrorCode]> = {
  invalid: [400, 'bad_request'],
  invalid_name: [400, 'bad_request'],
  invalid_parameter: [400, 'bad_request'],
  invalid_request_content: [400, 'bad_request'],
  invalid_location: [400, 'bad_request'],
  invalid_resource_type: [400, 'bad_request'],
  method_not_allowed: [405, 'bad_request'],
  unknown_path: [404, 'not_found'],
  unauthenticated: [401, 'bad_request'],
  invalid_token: [401, 'invalid'],
  invalid_credentials: [400, 'invalid'],
  revoked: [401, 'revoked'],
  expired: [400, 'expired'],
  forbidden: [403, 'bad_request'],
  cross_site: [403, 'bad_request'],
  too_many_requests: [429, 'bad_request'],
  not_found: [400, 'not_found'],
  no_such_object: [404, 'not_found'],
  conflict: [400, 'conflict'],
  duplicate: [409, 'duplicate'],
  quota_exceeded: [409, 'conflict'],
  not_empty: [409, 'conflict'],
  storage_type_locked: [409, 'conflict'],
  not_cancellable: [409, 'conflict'],
  session_ended: [409, 'session_ended'],
  missing_objects: [409, 'missing_objects'],
  unavailable: [503, 'bad_request'],
  storage_full: [507, 'storage_full'],
};

/** A PortalError as the agent receives it: the status and `{"error":{"code","message"}}` with the contract's message. */
export function agentError(err: PortalError): { status: number; body: AgentErrorResponse } {
  const [status, code] = AGENT_ERRORS[err.code];
  return { status, body: { error: { code, message: err.message } } };
}

/** What the agent reads while the portal's database is out of reach (restarting, its connections cut). */
export const DATABASE_UNAVAILABLE =
  'The portal cannot reach its database at the moment (it may be restarting): try again in a few minutes.';

/**
 * The agent's answer to a failure: a PortalError as `agentError`; the database out of reach as `unavailable` (503,
 * which the agent waits out and tries again, where a 500 would end its backup or restore); anything else (a fault)
 * undefined.
 */
export function agentRefusal(err: unknown): { status: number; body: AgentErrorResponse } | undefined {
  if (err instanceof PortalError) return agentError(err);
  if (databaseUnavailable(err)) {
    console.error(`The portal's database is out of reach: ${(err as Error).message}`);
    return agentError(new PortalError('unavailable', DATABASE_UNAVAILABLE));
  }
  return undefined;
}
