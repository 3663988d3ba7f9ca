import 'server-only';
import { X509Certificate } from 'node:crypto';
import type { PortalUser } from '@/lib/auth/users';
import { PortalError, violatedConstraint } from '@/lib/errors';
import type { Services } from '@/lib/services';
import { vaultAccessOrThrow } from '@/lib/vaults/access';
import { makeCurrentCredential } from './issue';
import type { IssuedCertificate } from './vault-credentials-file';

export type UploadedCertificate = IssuedCertificate & { issuer: string };

/** "CN=a\nO=b" as node:crypto prints a name, in the one-line form Windows shows. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

/**
 * A certificate the user made themselves (the ARM API's certificates PUT) becomes the vault's only current credential,
 * exactly as a download's does. It must be usable for the agent's proof: an RSA key of 2048 bits or more, valid now.
 */
export async function uploadVaultCertificate(
  svc: Services,
  user: PortalUser,
  vaultId: string,
  der: Uint8Array,
): Promise<UploadedCertificate> {
  const { vault } = await vaultAccessOrThrow(svc.db, user, vaultId, 'write', {
    states: ['Active'],
    notReady: (v) => `A certificate can be uploaded once the backup vault '${v.name}' is active.`,
  });

  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(der);
  } catch {
    throw new PortalError('invalid', 'The certificate is not a DER-encoded X.509 certificate.');
  }
  const key = x509.publicKey;
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new PortalError('invalid', 'The certificate must have an RSA key of 2048 bits or more.');
  }
  const certificate: UploadedCertificate = {
    certificatePem: x509.toString(),
    thumbprint: x509.fingerprint.replaceAll(':', '').toUpperCase(),
    subject: oneLine(x509.subject),
    issuer: oneLine(x509.issuer),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
  };
  const now = svc.clock.nowMs();
  if (certificate.notBefore.getTime() > now || certificate.notAfter.getTime() <= now) {
    throw new PortalError('invalid', 'The certificate is not valid now.');
  }
  try {
    await makeCurrentCredential(svc, user, vault, certificate, 'Upload vault certificate');
  } catch (err) {
    if (violatedConstraint(err) === 'vault_credentials_thumbprint_key')
      throw new PortalError('conflict', 'This certificate has already been uploaded.');
    throw err;
  }
  return certificate;
}
