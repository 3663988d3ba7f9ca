import { describe, expect, it } from 'vitest';
import type { VaultRow } from '@/lib/vaults/queries';
import { vaultRowsHtml } from './vault-table';

const row = (over: Partial<VaultRow>): VaultRow => ({
  id: '0bcb424e-d5bd-40aa-bd1b-848f9f5d8679',
  name: 'vault-1',
  region: 'westus',
  status: 'Active',
  storageReplication: 'GeoRedundant',
  replicationLocked: false,
  subscriptionId: '3286122d-4a79-4238-9770-361ed39fd103',
  subscriptionName: 'Free Trial',
  resourceGroup: 'Default',
  tags: {},
  createdAt: new Date(0),
  ...over,
});

describe('vaultRowsHtml', () => {
  it('writes a row per vault: the linked name, the type, the status with its class, the region and the subscription', () => {
    expect(vaultRowsHtml([row({}), row({ id: 'b', name: 'vault-2', status: 'Failed', region: 'eastus' })])).toBe(
      "<tr><td><a href='/recovery-services/vaults/0bcb424e-d5bd-40aa-bd1b-848f9f5d8679'>vault-1</a>" +
        "<td>Backup vault<td class='vault-status-Active'>Active<td>West US<td>Free Trial" +
        "<tr><td><a href='/recovery-services/vaults/b'>vault-2</a>" +
        "<td>Backup vault<td class='vault-status-Failed'>Failed<td>East US<td>Free Trial",
    );
    expect(vaultRowsHtml([])).toBe('');
  });

  it('never lets a name or a subscription name become markup', () => {
    const html = vaultRowsHtml([row({ name: '<img src=x onerror=alert(1)>', subscriptionName: `"Ops" & 'Dev'` })]);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;</a>');
    expect(html).toContain('<td>&quot;Ops&quot; &amp; &#39;Dev&#39;');
    expect(html).not.toContain('<img');
  });
});
