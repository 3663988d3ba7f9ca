import 'server-only';
import type { AgentErrorResponse } from '@/wire/protocol';
import { AgentRefusal } from './verify';

/** Runs an agent endpoint: refusals become the protocol's error answer with the contract's exact message. */
export async function agentEndpoint(work: () => Promise<unknown>): Promise<Response> {
  try {
    return Response.json(await work(), { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    if (!(err instanceof AgentRefusal)) throw err;
    const body: AgentErrorResponse = { error: { code: err.code, message: err.message } };
    return Response.json(body, { status: err.status, headers: { 'Cache-Control': 'no-store' } });
  }
}
