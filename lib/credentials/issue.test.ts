import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortalError } from '@/lib/errors';
import { createVault } from '@/lib/vaults/create';
import { createTestUser, type TestServices, testServices } from '@/testing/services';
import { issueVaultCredentials } from './issue';
import { parseVaultCredentialsFile, VAULT_CREDENTIALS_NAMESPACE } from './vault-credentials-file';

let svc: TestServices;
beforeAll(async () => {
  svc = await testServices();
});
afterAll(() => svc.close());

async function activeVault(name: string) {
  const user = await createTestUser(svc);
  const created = await createVault(svc, user, { name, region: 'westus' });
  if (!created.ok) throw new Error('create failed');
  await svc.pool.query(`update vaults set status = 'Active' where id = $1`, [created.data.vaultId]);
  return { user, vaultId: created.data.vaultId, subscriptionId: user.subscriptions[0]!.id };
}

describe('download vault credentials', () => {
  it('gives a file of the contract: name, XML, a password-less PKCS#12 whose key matches, valid 48h10m', async () => {
    const { user, vaultId, subscriptionId } = await activeVault('testvault');
    const before = Date.now();
    const file = await issueVaultCredentials(svc, user, vaultId, 'https://portal.example.com');
    // toUTCString: "Sun, 10 Apr 2016 03:04:05 GMT" -> "Sun Apr 10 2016"
    const [dow, day, month, year] = new Date().toUTCString().replace(',', '').split(' ');
    const dateText = `${dow} ${month} ${day} ${year}`;
    expect(file.fileName).toBe(`testvault_${dateText}.VaultCredentials`);
    expect(file.fileName).toMatch(/^testvault_[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{4}\.VaultCredentials$/);

    const xml = new XMLParser({ ignoreAttributes: false }).parse(file.contents);
    const root = xml.BackupVaultCreds;
    expect(root['@_xmlns']).toBe(VAULT_CREDENTIALS_NAMESPACE);
    expect(VAULT_CREDENTIALS_NAMESPACE).toBe(
      'http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common',
    );
    expect(Object.keys(root).filter((k) => !k.startsWith('@_'))).toEqual([
      'SubscriptionId',
      'ResourceType',
      'ResourceName',
      'ManagementCert',
      'AcsNamespace',
      'AgentLinks',
    ]);
    expect(root.SubscriptionId).toBe(subscriptionId);
    expect(root.ResourceType).toBe('BackupVault');
    expect(root.ResourceName).toBe('testvault');
    expect(Object.keys(root.AcsNamespace)).toEqual(['HostName', 'Namespace', 'ResourceProviderRealm']);
    expect(root.AgentLinks).toContain('WebPortalLink,https://portal.example.com');

    const parsed = parseVaultCredentialsFile(file.contents);
    expect(parsed.notAfter.getTime() - parsed.notBefore.getTime()).toBe((48 * 60 + 10) * 60 * 1000);
    expect(Math.abs(parsed.notBefore.getTime() - (before - 10 * 60 * 1000))).toBeLessThan(5000);
    const { rows } = await svc.pool.query('select thumbprint, not_after from vault_credentials where vault_id = $1', [
      vaultId,
    ]);
    expect(rows).toEqual([{ thumbprint: parsed.thumbprint, not_after: parsed.notAfter }]);
  });

  it('keeps no private key material anywhere in the database', async () => {
    const { user, vaultId } = await activeVault('secretive');
    const files = [];
    for (let i = 0; i < 3; i++) files.push(await issueVaultCredentials(svc, user, vaultId, 'http://localhost:3000'));
    const secrets = files.flatMap((f) => {
      const parsed = parseVaultCredentialsFile(f.contents);
      const keyBody = parsed.privateKeyPem.replace(/-----[^-]+-----|\s/g, '');
      const pkcs12 = /<ManagementCert>([^<]+)<\/ManagementCert>/.exec(f.contents)![1]!;
      // Any 64-character slice of the key or the PKCS#12 would do; take several.
      return [0, 200, 600].flatMap((at) => [keyBody.slice(at, at + 64), pkcs12.slice(at, at + 64)]);
    });
    const { rows: tables } = await svc.pool.query(
      `select table_schema, table_name from information_schema.tables
       where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`,
    );
    expect(tables.length).toBeGreaterThan(8);
    let dump = '';
    for (const t of tables) {
      const { rows } = await svc.pool.query(`select * from "${t.table_schema}"."${t.table_name}"`);
      dump += JSON.stringify(rows);
    }
    expect(dump).toContain(parseVaultCredentialsFile(files[0]!.contents).thumbprint);
    expect(dump).not.toMatch(/PRIVATE KEY/);
    for (const secret of secrets) expect(dump).not.toContain(secret);
  });

  it('leaves exactly one valid credential after two quick downloads, the newest', async () => {
    const { user, vaultId } = await activeVault('racing');
    const [a, b] = await Promise.all([
      issueVaultCredentials(svc, user, vaultId, 'http://localhost:3000'),
      issueVaultCredentials(svc, user, vaultId, 'http://localhost:3000'),
    ]);
    const { rows } = await svc.pool.query(
      'select thumbprint from vault_credentials where vault_id = $1 and superseded_at is null',
      [vaultId],
    );
    expect(rows).toHaveLength(1);
    const thumbprints = [a!, b!].map((f) => parseVaultCredentialsFile(f.contents).thumbprint);
    expect(thumbprints).toContain(rows[0].thumbprint);
    const c = await issueVaultCredentials(svc, user, vaultId, 'http://localhost:3000');
    const current = await svc.pool.query(
      'select thumbprint from vault_credentials where vault_id = $1 and superseded_at is null',
      [vaultId],
    );
    expect(current.rows).toEqual([{ thumbprint: parseVaultCredentialsFile(c.contents).thumbprint }]);
  });

  it('refuses a vault that is still creating, and a vault of another subscription', async () => {
    const user = await createTestUser(svc);
    const created = await createVault(svc, user, { name: 'notyet', region: 'westus' });
    if (!created.ok) throw new Error('create failed');
    await expect(issueVaultCredentials(svc, user, created.data.vaultId, 'http://x')).rejects.toThrow(
      /once the backup vault 'notyet' is active/,
    );
    const { vaultId } = await activeVault('mine');
    const stranger = await createTestUser(svc);
    const refused = await issueVaultCredentials(svc, stranger, vaultId, 'http://x').catch((e) => e);
    expect(refused).toBeInstanceOf(PortalError);
    expect(refused.code).toBe('not_found');
  });
});
