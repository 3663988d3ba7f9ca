import { createPublicKey, generateKeyPairSync, sign, verify, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { XMLParser } from 'fast-xml-parser';
import forge from 'node-forge';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createVaultCredentialsFile,
  parseVaultCredentialsFile,
  thumbprintOfCertificatePem,
  VAULT_CREDENTIALS_NAMESPACE,
  type VaultCredentialsDownload,
  VaultCredentialsFormatError,
} from './vault-credentials-file';

const SUBSCRIPTION_ID = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';
const VAULT_ID = '6b1e1a52-0c3e-4f4c-9a57-2f1b7c9d0e11';
const NOW = new Date('2016-04-10T03:04:05Z');
const INPUT = {
  vaultName: 'testvault',
  vaultId: VAULT_ID,
  subscriptionId: SUBSCRIPTION_ID,
  portalUrl: 'https://backup.example.com/',
  now: NOW,
};

let download: VaultCredentialsDownload;

beforeAll(async () => {
  download = await createVaultCredentialsFile(INPUT);
});

function managementCertOf(contents: string): string {
  const match = /<ManagementCert>([^<]*)<\/ManagementCert>/.exec(contents);
  if (!match?.[1]) throw new Error('ManagementCert not found');
  return match[1];
}

function replaceManagementCert(contents: string, base64: string): string {
  return contents.replace(/<ManagementCert>[^<]*<\/ManagementCert>/, `<ManagementCert>${base64}</ManagementCert>`);
}

function openPfxWithForge(base64: string): forge.pkcs12.Pkcs12Pfx {
  const der = Buffer.from(base64, 'base64').toString('binary');
  return forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der));
}

function expectFormatError(xml: string, message: RegExp): void {
  let caught: unknown;
  try {
    parseVaultCredentialsFile(xml);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(VaultCredentialsFormatError);
  expect((caught as VaultCredentialsFormatError).code).toBe('INVALID_VAULT_CREDENTIALS');
  expect((caught as Error).message).toMatch(message);
}

describe('createVaultCredentialsFile', () => {
  it('writes the BackupVaultCreds document with its namespaces and children in order', () => {
    expect(download.contents.startsWith('<?xml version="1.0" encoding="utf-8"?><BackupVaultCreds ')).toBe(true);

    const ordered = new XMLParser({ preserveOrder: true, ignoreAttributes: false, parseTagValue: false }).parse(
      download.contents,
    ) as Array<Record<string, unknown>>;
    const root = ordered.find((node) => 'BackupVaultCreds' in node);
    expect(ordered.map((node) => Object.keys(node)[0])).toEqual(['?xml', 'BackupVaultCreds']);
    expect(root?.[':@']).toEqual({
      '@_xmlns': VAULT_CREDENTIALS_NAMESPACE,
      '@_xmlns:i': 'http://www.w3.org/2001/XMLSchema-instance',
    });
    const children = root?.BackupVaultCreds as Array<Record<string, Array<Record<string, unknown>>>>;
    expect(children.map((node) => Object.keys(node)[0])).toEqual([
      'SubscriptionId',
      'ResourceType',
      'ResourceName',
      'ManagementCert',
      'AcsNamespace',
      'AgentLinks',
    ]);
    const acs = children.find((node) => 'AcsNamespace' in node)?.AcsNamespace ?? [];
    expect(acs.map((node) => Object.keys(node)[0])).toEqual(['HostName', 'Namespace', 'ResourceProviderRealm']);

    const plain = new XMLParser({ parseTagValue: false }).parse(download.contents).BackupVaultCreds;
    expect(plain).toMatchObject({
      SubscriptionId: SUBSCRIPTION_ID,
      ResourceType: 'BackupVault',
      ResourceName: 'testvault',
      AcsNamespace: {
        HostName: 'backup.example.com',
        Namespace: `vault-${VAULT_ID}`,
        ResourceProviderRealm: 'http://windowscloudbackup/m3',
      },
      AgentLinks: `WebPortalLink,https://backup.example.com;VaultId,${VAULT_ID}`,
    });
  });

  it('embeds a PKCS#12 that opens without a password and holds one certificate and its key', () => {
    const base64 = managementCertOf(download.contents);
    const pfx = openPfxWithForge(base64);
    const certBags = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
    const keyBags = pfx.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? [];
    expect(certBags).toHaveLength(1);
    expect(keyBags).toHaveLength(1);
    const cert = certBags[0]!.cert!;
    const publicKey = cert.publicKey as forge.pki.rsa.PublicKey;
    expect(publicKey.n.equals(keyBags[0]!.key!.n)).toBe(true);
    expect(publicKey.n.bitLength()).toBe(2048);
    const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
    expect(new X509Certificate(der).fingerprint.replaceAll(':', '')).toBe(download.certificate.thumbprint);

    // OpenSSL is the stack the agent's TLS client uses; it must accept the archive without a passphrase too.
    expect(() => createSecureContext({ pfx: Buffer.from(base64, 'base64') })).not.toThrow();
  });

  it('issues a self-signed SHA-256 client certificate valid from now-10min for 48h10m', () => {
    const { certificate } = download;
    expect(certificate.notBefore.toISOString()).toBe('2016-04-10T02:54:05.000Z');
    expect(certificate.notAfter.getTime() - certificate.notBefore.getTime()).toBe((48 * 60 + 10) * 60 * 1000);

    const x509 = new X509Certificate(certificate.certificatePem);
    expect(new Date(x509.validFrom).getTime()).toBe(certificate.notBefore.getTime());
    expect(new Date(x509.validTo).getTime()).toBe(certificate.notAfter.getTime());
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(x509.ca).toBe(false);
    expect(x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(/^[0-7][0-9A-F]{31}$/.test(x509.serialNumber)).toBe(true);

    const forgeCert = forge.pki.certificateFromPem(certificate.certificatePem);
    expect(forgeCert.siginfo.algorithmOid).toBe(forge.pki.oids.sha256WithRSAEncryption);
    expect(forgeCert.getExtension('keyUsage')).toMatchObject({ digitalSignature: true, keyEncipherment: true });
  });

  it('names the subject and file after the vault and the UTC date of now', () => {
    const subject = `CN=testvault${SUBSCRIPTION_ID}-4-10-2016-vaultcredentials`;
    expect(download.certificate.subject).toBe(subject);
    expect(new X509Certificate(download.certificate.certificatePem).subject).toBe(subject);
    expect(new X509Certificate(download.certificate.certificatePem).issuer).toBe(subject);
    expect(download.fileName).toBe('testvault_Sun Apr 10 2016.VaultCredentials');
  });

  it('zero-pads the day in the file name but not in the subject, whatever the local time zone', async () => {
    // 2016-04-04T23:30-05:00 is already April 5th in UTC.
    const early = await createVaultCredentialsFile({ ...INPUT, now: new Date('2016-04-04T23:30:00-05:00') });
    expect(early.fileName).toBe('testvault_Tue Apr 05 2016.VaultCredentials');
    expect(early.certificate.subject).toBe(`CN=testvault${SUBSCRIPTION_ID}-4-5-2016-vaultcredentials`);
  });

  it('reports validity dates equal to the certificate when now has milliseconds', async () => {
    const issued = await createVaultCredentialsFile({ ...INPUT, now: new Date('2016-11-25T10:00:00.999Z') });
    const x509 = new X509Certificate(issued.certificate.certificatePem);
    expect(issued.certificate.notBefore.toISOString()).toBe('2016-11-25T09:50:00.000Z');
    expect(new Date(x509.validFrom).getTime()).toBe(issued.certificate.notBefore.getTime());
    expect(issued.certificate.subject).toBe(`CN=testvault${SUBSCRIPTION_ID}-11-25-2016-vaultcredentials`);
  });

  it('creates a new key and certificate on every call', async () => {
    const again = await createVaultCredentialsFile(INPUT);
    expect(again.certificate.thumbprint).not.toBe(download.certificate.thumbprint);
    expect(managementCertOf(again.contents)).not.toBe(managementCertOf(download.contents));
  });

  it('keeps private key material out of the certificate object', () => {
    const serialized = JSON.stringify(download.certificate);
    expect(Object.keys(download.certificate).sort()).toEqual([
      'certificatePem',
      'notAfter',
      'notBefore',
      'subject',
      'thumbprint',
    ]);
    expect(serialized).not.toContain('PRIVATE KEY');
    expect(serialized).not.toContain(managementCertOf(download.contents).slice(0, 64));
    expect(download.certificate.thumbprint).toMatch(/^[0-9A-F]{40}$/);
  });

  it('escapes values through the XML builder', async () => {
    const odd = await createVaultCredentialsFile({ ...INPUT, vaultName: 'a&b<c>"d\'' });
    expect(odd.contents).toContain('<ResourceName>a&amp;b&lt;c&gt;&quot;d&apos;</ResourceName>');
    expect(parseVaultCredentialsFile(odd.contents).resourceName).toBe('a&b<c>"d\'');
  });

  it('rejects inputs that cannot be represented in the file', async () => {
    await expect(createVaultCredentialsFile({ ...INPUT, vaultName: '' })).rejects.toThrow(TypeError);
    await expect(createVaultCredentialsFile({ ...INPUT, vaultName: 'vault ' })).rejects.toThrow(/whitespace/);
    await expect(createVaultCredentialsFile({ ...INPUT, portalUrl: 'ftp://example.com' })).rejects.toThrow(/http/);
    await expect(createVaultCredentialsFile({ ...INPUT, vaultId: 'a;b' })).rejects.toThrow(/AgentLinks/);
    await expect(createVaultCredentialsFile({ ...INPUT, now: new Date(Number.NaN) })).rejects.toThrow(RangeError);
  });
});

describe('parseVaultCredentialsFile', () => {
  it('reads back everything the portal wrote', () => {
    const parsed = parseVaultCredentialsFile(download.contents);
    expect(parsed).toMatchObject({
      subscriptionId: SUBSCRIPTION_ID,
      resourceType: 'BackupVault',
      resourceName: 'testvault',
      vaultId: VAULT_ID,
      portalUrl: 'https://backup.example.com',
      agentLinks: { WebPortalLink: 'https://backup.example.com', VaultId: VAULT_ID },
      certificatePem: download.certificate.certificatePem,
      thumbprint: download.certificate.thumbprint,
      subject: download.certificate.subject,
      notBefore: download.certificate.notBefore,
      notAfter: download.certificate.notAfter,
    });
    expect(parsed.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('returns a private key that matches the certificate', () => {
    const parsed = parseVaultCredentialsFile(download.contents);
    const data = Buffer.from('vault registration challenge');
    const signature = sign('sha256', data, parsed.privateKeyPem);
    const certificateKey = new X509Certificate(parsed.certificatePem).publicKey;
    expect(verify('sha256', data, certificateKey, signature)).toBe(true);
    expect(verify('sha256', data, createPublicKey(parsed.privateKeyPem), signature)).toBe(true);
  });

  it('accepts a prefixed root element in the right namespace', () => {
    const prefixed = download.contents
      .replace(`xmlns="${VAULT_CREDENTIALS_NAMESPACE}"`, `xmlns:v="${VAULT_CREDENTIALS_NAMESPACE}"`)
      .replace(/<(\/?)(?=[A-Z])/g, '<$1v:');
    expect(prefixed).toContain('<v:BackupVaultCreds');
    expect(parseVaultCredentialsFile(prefixed).vaultId).toBe(VAULT_ID);
  });

  it('rejects malformed XML', () => {
    expectFormatError('not xml at all', /XML/);
    expectFormatError(download.contents.replace('</AgentLinks>', ''), /Not well-formed XML/);
  });

  it('rejects the wrong root element', () => {
    expectFormatError(download.contents.replaceAll('BackupVaultCreds', 'RecoveryVaultCreds'), /root element/);
  });

  it('rejects the wrong namespace', () => {
    expectFormatError(download.contents.replace(VAULT_CREDENTIALS_NAMESPACE, 'urn:not-azure'), /namespace/);
    expectFormatError(download.contents.replace(` xmlns="${VAULT_CREDENTIALS_NAMESPACE}"`, ''), /no namespace/);
  });

  it('rejects a missing ManagementCert', () => {
    const without = download.contents.replace(/<ManagementCert>[^<]*<\/ManagementCert>/, '');
    expectFormatError(without, /Missing required element ManagementCert/);
  });

  it('rejects a duplicated element', () => {
    const twice = download.contents.replace(
      '</ResourceType>',
      '</ResourceType><ResourceType>BackupVault</ResourceType>',
    );
    expectFormatError(twice, /ResourceType appears more than once/);
  });

  it('rejects garbage in ManagementCert', () => {
    expectFormatError(replaceManagementCert(download.contents, 'not base64 !!!'), /not valid base64/);
    expectFormatError(replaceManagementCert(download.contents, 'AAAAAAAA'), /not a PKCS#12/);
  });

  it('rejects a PKCS#12 that needs a password', () => {
    const pfx = openPfxWithForge(managementCertOf(download.contents));
    const cert = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]![0]!.cert!;
    const key = pfx.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!]![0]!.key!;
    const locked = forge.pkcs12.toPkcs12Asn1(key, [cert], 'secret', { algorithm: '3des' });
    const base64 = Buffer.from(forge.asn1.toDer(locked).getBytes(), 'binary').toString('base64');
    expectFormatError(replaceManagementCert(download.contents, base64), /opens without a password/);
  });

  it('rejects a PKCS#12 whose key does not belong to its certificate', () => {
    const pfx = openPfxWithForge(managementCertOf(download.contents));
    const cert = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]![0]!.cert!;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherKey = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    const mismatched = forge.pkcs12.toPkcs12Asn1(otherKey, [cert], null, { algorithm: '3des' });
    const base64 = Buffer.from(forge.asn1.toDer(mismatched).getBytes(), 'binary').toString('base64');
    expectFormatError(replaceManagementCert(download.contents, base64), /does not match its certificate/);
  });

  it('rejects a PKCS#12 without exactly one certificate', () => {
    const pfx = openPfxWithForge(managementCertOf(download.contents));
    const cert = pfx.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!]![0]!.cert!;
    const key = pfx.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!]![0]!.key!;
    const doubled = forge.pkcs12.toPkcs12Asn1(key, [cert, cert], null, { algorithm: '3des' });
    const base64 = Buffer.from(forge.asn1.toDer(doubled).getBytes(), 'binary').toString('base64');
    expectFormatError(replaceManagementCert(download.contents, base64), /exactly one certificate, found 2/);
  });

  it('rejects AgentLinks that disagree with AcsNamespace', () => {
    expectFormatError(download.contents.replace(`VaultId,${VAULT_ID}`, 'VaultId,other'), /does not match VaultId/);
    expectFormatError(download.contents.replace(`;VaultId,${VAULT_ID}`, ''), /no VaultId/);
  });
});

describe('thumbprintOfCertificatePem', () => {
  it('is the uppercase SHA-1 of the DER certificate', () => {
    const pem = download.certificate.certificatePem;
    const expected = new X509Certificate(pem).fingerprint.replaceAll(':', '');
    expect(thumbprintOfCertificatePem(pem)).toBe(expected);
    expect(thumbprintOfCertificatePem(pem)).toBe(download.certificate.thumbprint);
  });

  it('rejects text that is not a certificate', () => {
    expect(() => thumbprintOfCertificatePem('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow(
      TypeError,
    );
  });
});
