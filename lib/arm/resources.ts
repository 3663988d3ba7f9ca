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

/**
 * A vault's alert settings as ARM's `monitoringSettings` name them: `alertsForAllJobFailures` is `alert_job_failures`
 * (failed backups and restores raise alerts), `alertsForCriticalOperations` is whether Critical is among
 * `alert_severities` (the severities notified by email and webhook).
 */
export type MonitoringState = { jobFailures: boolean; critical: boolean };

export type AlertsState = 'Enabled' | 'Disabled';

export const alertsState = (on: boolean): AlertsState => (on ? 'Enabled' : 'Disabled');

/** The SDK's `MonitoringSettings` model. */
export function monitoringSettings(state: MonitoringState) {
  return {
    azureMonitorAlertSettings: { alertsForAllJobFailures: alertsState(state.jobFailures) },
    classicAlertSettings: { alertsForCriticalOperations: alertsState(state.critical) },
  };
}

/** The SDK's `Vault` model; `monitoring` is the vault's alert settings (monitoringStates). */
export function vaultResource(vault: VaultRow, monitoring: MonitoringState) {
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
      monitoringSettings: monitoringSettings(monitoring),
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
