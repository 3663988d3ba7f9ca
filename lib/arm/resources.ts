import type { VaultRow } from '@/lib/vaults/queries';

export const VAULT_TYPE = 'Microsoft.RecoveryServices/vaults';

/** A vault's ARM id, with the names as they were recorded (ARM ids keep the creator's case). */
export function vaultPath(vault: Pick<VaultRow, 'subscriptionId' | 'resourceGroup' | 'name'>): string {
  return `/subscriptions/${vault.subscriptionId}/resourceGroups/${encodeURIComponent(vault.resourceGroup)}/providers/Microsoft.RecoveryServices/vaults/${encodeURIComponent(vault.name)}`;
}

const PROVISIONING_STATE: Record<VaultRow['status'], string> = {
  Creating: 'Creating',
  Active: 'Succeeded',
  Failed: 'Failed',
  Deleting: 'Deleting',
};

/** The SDK's `Vault` model. */
export function vaultResource(vault: VaultRow) {
  return {
    id: vaultPath(vault),
    name: vault.name,
    type: VAULT_TYPE,
    location: vault.region,
    tags: vault.tags,
    sku: { name: 'Standard' },
    properties: {
      provisioningState: PROVISIONING_STATE[vault.status],
      redundancySettings: { standardTierStorageRedundancy: vault.storageReplication, crossRegionRestore: 'Disabled' },
      publicNetworkAccess: 'Enabled',
      privateEndpointStateForBackup: 'None',
      privateEndpointStateForSiteRecovery: 'None',
    },
    systemData: { createdAt: vault.createdAt.toISOString(), createdByType: 'User' },
  };
}

/** The SDK's `BackupResourceConfigResource` (backupstorageconfig/vaultstorageconfig). */
export function storageConfigResource(vault: VaultRow) {
  return {
    id: `${vaultPath(vault)}/backupstorageconfig/vaultstorageconfig`,
    name: 'vaultstorageconfig',
    type: 'Microsoft.RecoveryServices/vaults/backupstorageconfig',
    properties: {
      storageModelType: vault.storageReplication,
      storageType: vault.storageReplication,
      storageTypeState: vault.replicationLocked ? 'Locked' : 'Unlocked',
      crossRegionRestoreFlag: false,
      dedupState: 'Disabled',
      xcoolState: 'Disabled',
    },
  };
}
