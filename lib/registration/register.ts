import 'server-only';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { withTransaction } from '@/db/client';
import { registeredServers, vaultCredentials, vaults } from '@/db/schema';
import { PortalError, violatedConstraint } from '@/lib/errors';
import { recordFinishedOperation } from '@/lib/operations/record';
import type { Services } from '@/lib/services';
import { AGENT_MESSAGES, PROOF_LIFETIME_SECONDS, type RegisterResponse } from '@/wire/protocol';
import { consumeNonce } from './nonces';
import { checkLifetime, invalid, keyIdOf, registrationClaimsSchema, verifiedPayload } from './verify';

export const badMachineName = (name: string) =>
  `The machine name '${name.slice(0, 80)}' cannot be registered: use 1 to 63 letters, digits, dots, hyphens or underscores, starting with a letter or digit.`;

/**
 * Registers a machine from its proof of possession of the vault credential's private key. Every check stands on its
 * own, whoever sends the request: the certificate must be known, its signature must verify, it must be the vault's
 * newest and unexpired, the nonce new, and the vault Active. The server row's insert locks storage replication (a
 * trigger of the database, registered_servers_lock_vault).
 */
export async function registerMachine(svc: Services, proof: unknown, now = svc.clock.now()): Promise<RegisterResponse> {
  if (typeof proof !== 'string' || proof.length > 16_384) throw invalid();
  const thumbprint = keyIdOf(proof, 'RS256');
  const [credential] = await svc.db.select().from(vaultCredentials).where(eq(vaultCredentials.thumbprint, thumbprint));
  if (!credential) throw invalid();
  const payload = await verifiedPayload(proof, credential);
  const claims = registrationClaimsSchema.safeParse(payload);
  if (!claims.success) {
    // A genuine proof whose only fault is the machine's name deserves to hear which name.
    const onlyName = claims.error.issues.every((issue) => issue.path[0] === 'machineName');
    const name = (payload as { machineName?: unknown })?.machineName;
    if (onlyName && typeof name === 'string') throw new PortalError('invalid', badMachineName(name));
    throw invalid();
  }
  if (claims.data.vaultId !== credential.vaultId) throw invalid();
  if (credential.notAfter.getTime() < now.getTime()) throw new PortalError('expired', AGENT_MESSAGES.expired);
  if (credential.notBefore.getTime() > now.getTime()) throw invalid();
  if (!checkLifetime(claims.data, now, PROOF_LIFETIME_SECONDS)) throw invalid();
  const { machineName, machinePublicKey, nonce, subscriptionId } = claims.data;
  // The emulator's fault rule (matched by the machine's name): the agent prints its message.
  await svc.faults.check('RegisterServer', { name: machineName }).catch((err: Error) => {
    throw new PortalError('conflict', err.message);
  });

  try {
    return await withTransaction(svc.pool, async (tx) => {
      // The vault's row lock orders this against credential downloads, Configure saves and vault deletion.
      const [vault] = await tx
        .select({ id: vaults.id, name: vaults.name, subscriptionId: vaults.subscriptionId, status: vaults.status })
        .from(vaults)
        .where(eq(vaults.id, credential.vaultId))
        .for('update');
      if (vault?.status !== 'Active' || vault.subscriptionId !== subscriptionId) throw invalid();
      const [current] = await tx
        .select({ id: vaultCredentials.id })
        .from(vaultCredentials)
        .where(and(eq(vaultCredentials.id, credential.id), isNull(vaultCredentials.supersededAt)));
      if (!current) throw invalid();

      if (!(await consumeNonce(tx, nonce, claims.data.exp, now))) throw invalid();

      const [existing] = await tx
        .select({ id: registeredServers.id, allowed: registeredServers.reregistrationAllowed })
        .from(registeredServers)
        .where(
          and(eq(registeredServers.vaultId, vault.id), sql`lower(${registeredServers.name}) = lower(${machineName})`),
        )
        .for('update');
      if (existing && !existing.allowed) throw new PortalError('duplicate', AGENT_MESSAGES.duplicate(machineName));

      const values = { name: machineName, machinePublicKey, credentialId: credential.id, reregistrationAllowed: false };
      const [server] = existing
        ? await tx
            .update(registeredServers)
            .set({ ...values, createdAt: now })
            .where(eq(registeredServers.id, existing.id))
            .returning()
        : await tx
            .insert(registeredServers)
            .values({ ...values, vaultId: vault.id, createdAt: now })
            .returning();

      await recordFinishedOperation(tx, {
        userId: credential.createdBy,
        subscriptionId: vault.subscriptionId,
        vaultId: vault.id,
        vaultName: vault.name,
        kind: 'Register',
        message: `The server '${machineName}' has been registered to the backup vault '${vault.name}'.`,
      });
      return {
        serverId: server!.id,
        vaultId: vault.id,
        vaultName: vault.name,
        machineName: server!.name,
        registeredAt: server!.createdAt.toISOString(),
      };
    });
  } catch (err) {
    const constraint = violatedConstraint(err);
    // A concurrent registration of the same name that committed first.
    if (constraint === 'registered_servers_vault_name_key') {
      throw new PortalError('duplicate', AGENT_MESSAGES.duplicate(machineName));
    }
    // The vault stopped being Active (its deletion started) before the server row could lock it.
    if (constraint === 'registered_servers_vault_active') throw invalid();
    throw err;
  }
}
