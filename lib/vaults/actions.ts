'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import type { ActionResult } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { type CreatedVault, createVault } from './create';
import { deleteVault } from './delete';
import { saveStorageReplication } from './redundancy';

export async function createVaultAction(_prev: ActionResult<CreatedVault> | null, form: FormData) {
  const user = await requireUser();
  const result = await createVault(await getServices(), user, {
    name: form.get('name'),
    region: form.get('region'),
    subscriptionId: form.get('subscriptionId') || undefined,
  });
  if (result.ok) revalidatePath('/', 'layout');
  return result;
}

export async function deleteVaultAction(
  _prev: ActionResult<{ operationId: string }> | null,
  form: FormData,
): Promise<ActionResult<{ operationId: string }>> {
  const user = await requireUser();
  const result = await deleteVault(await getServices(), user, {
    vaultId: form.get('vaultId'),
    reason: form.get('reason'),
  });
  if (result.ok) revalidatePath('/', 'layout');
  return result;
}

export async function saveStorageReplicationAction(vaultId: string, storageReplication: string) {
  const user = await requireUser();
  const result = await saveStorageReplication(await getServices(), user, { vaultId, storageReplication });
  if (result.ok) revalidatePath(`/recovery-services/vaults/${vaultId}`, 'layout');
  return result;
}
