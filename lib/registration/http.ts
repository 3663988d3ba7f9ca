import 'server-only';
import { agentRefusal } from './refusal';

/** Runs an agent endpoint: refusals become the protocol's error answer with the contract's exact message. */
export async function agentEndpoint(work: () => Promise<unknown>): Promise<Response> {
  try {
    return Response.json(await work(), { headers: { 'Cache-Control': 'no-store' } });
  } catch (err) {
    const refusal = agentRefusal(err);
    if (!refusal) throw err;
    return Response.json(refusal.body, { status: refusal.status, headers: { 'Cache-Control': 'no-store' } });
  }
}
