import 'server-only';
import { eq } from 'drizzle-orm';
import { registeredServers, vaults } from '@/db/schema';
import { PortalError } from '@/lib/errors';
import { isUuid } from '@/lib/http/input';
import type { Services } from '@/lib/services';
import { AGENT_MESSAGES, type StatusResponse } from '@/wire/protocol';
import { consumeNonce } from './nonces';
import { checkLifetime, keyIdOf, machineClaimsSchema, verifiedPayload } from './verify';

const MACHINE_TOKEN_MAX_LIFETIME = 300;

/**
 * Authenticates a registered machine's call by its own key: `Authorization: Bearer <JWS>` naming its server id. A
 * server deleted in the portal has no key any more, so its machine is refused as revoked.
 */
export async function authenticateMachine(svc: Services, authorization: string | null, now = svc.clock.now()) {
  const token = authorization?.match(/^Bearer ([A-Za-z0-9._-]{1,8192})$/)?.[1];
  if (!token) throw new PortalError('unauthenticated', AGENT_MESSAGES.notRegistered);
  const serverId = keyIdOf(token, 'EdDSA');
  const [server] = isUuid(serverId)
    ? await svc.db
        .select({
          id: registeredServers.id,
          name: registeredServers.name,
          publicKeyPem: registeredServers.machinePublicKey,
          createdAt: registeredServers.createdAt,
          vaultId: vaults.id,
          vaultName: vaults.name,
          subscriptionId: vaults.subscriptionId,
        })
        .from(registeredServers)
        .innerJoin(vaults, eq(vaults.id, registeredServers.vaultId))
        .where(eq(registeredServers.id, serverId))
    : [];
  if (!server) throw new PortalError('revoked', AGENT_MESSAGES.revoked);
  const claims = machineClaimsSchema.safeParse(await verifiedPayload(token, { publicKeyPem: server.publicKeyPem }));
  if (!claims.success || !checkLifetime(claims.data, now, MACHINE_TOKEN_MAX_LIFETIME)) {
    throw new PortalError('revoked', AGENT_MESSAGES.revoked);
  }
  if (!(await consumeNonce(svc.db, claims.data.nonce, claims.data.exp, now))) {
    throw new PortalError('invalid_token', AGENT_MESSAGES.invalid);
  }
  return server;
}

export type AuthenticatedMachine = Awaited<ReturnType<typeof authenticateMachine>>;

export async function machineStatus(
  svc: Services,
  authorization: string | null,
  now = svc.clock.now(),
): Promise<StatusResponse> {
  const server = await authenticateMachine(svc, authorization, now);
  return {
    serverId: server.id,
    machineName: server.name,
    vaultId: server.vaultId,
    vaultName: server.vaultName,
    status: 'Registered',
    registeredAt: server.createdAt.toISOString(),
  };
}
