import 'server-only';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { withTransaction } from '@/db/client';
import { vaultCredentials, vaults } from '@/db/schema';
import { logChange } from '@/lib/audit/log';
import type { PortalUser } from '@/lib/auth/users';
import { PortalError } from '@/lib/errors';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import {
  createVaultCredentialsFile,
  type IssuedCertificate,
  type VaultCredentialsDownload,
} from './vault-credentials-file';

/**
 * Issues a new vault credential: a fresh certificate and key, of which the portal records only the public part and
 * makes it the vault's only current credential. The returned file (with the private key) exists only in the response.
 */
export async function issueVaultCredentials(
  svc: Services,
  user: PortalUser,
  vaultId: string,
  portalUrl: string,
): Promise<Pick<VaultCredentialsDownload, 'fileName' | 'contents'>> {
  const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'write', {
    states: ['Active'],
    notReady: (v) => `Vault credentials can be downloaded once the backup vault '${v.name}' is active.`,
  });

  await svc.faults.check('DownloadCredentials', { name: vault.name });
  // Made before the transaction: key generation takes a moment and needs no lock.
  const download = await createVaultCredentialsFile({
    vaultName: vault.name,
    vaultId: vault.id,
    subscriptionId: vault.subscriptionId,
    portalUrl,
    now: svc.clock.now(),
  });
  await makeCurrentCredential(svc, user, vault, download.certificate, 'Download vault credentials');
  return { fileName: download.fileName, contents: download.contents };
}

/**
 * Makes a certificate the vault's only current credential (a download's, or one uploaded through the ARM API). The
 * vault's row lock orders racing calls: each supersedes what is current, then becomes current itself. The change is
 * logged in the same transaction, with the thumbprints that were current before and the one current after.
 */
export async function makeCurrentCredential(
  svc: Services,
  user: PortalUser,
  vault: { id: string; name: string; subscriptionId: string },
  certificate: IssuedCertificate,
  operation: 'Download vault credentials' | 'Upload vault certificate',
): Promise<void> {
  await withTransaction(svc.pool, async (tx) => {
    const [locked] = await tx
      .select({ id: vaults.id })
      .from(vaults)
      .where(and(eq(vaults.id, vault.id), eq(vaults.status, 'Active')))
      .for('update');
    if (!locked) throw new PortalError('conflict', `The backup vault '${vault.name}' is no longer active.`);
    const superseded = await tx
      .update(vaultCredentials)
      .set({ supersededAt: sql`portal_now()` })
      .where(and(eq(vaultCredentials.vaultId, vault.id), isNull(vaultCredentials.supersededAt)))
      .returning({ thumbprint: vaultCredentials.thumbprint });
    await tx.insert(vaultCredentials).values({
      vaultId: vault.id,
      thumbprint: certificate.thumbprint,
      subject: certificate.subject,
      certificatePem: certificate.certificatePem,
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
      createdBy: user.id,
    });
    await logChange(tx, {
      actor: user,
      subscriptionId: vault.subscriptionId,
      vault,
      category: 'Credentials',
      operation,
      target: certificate.subject,
      before: { current: superseded.map((c) => c.thumbprint) },
      after: { current: [certificate.thumbprint] },
    });
  });
}
