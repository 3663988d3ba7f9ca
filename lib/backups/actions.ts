'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { requestBackup, stopProtection } from './portal';

export async function backupNowAction(itemId: string) {
  const user = await requireUser();
  const result = await requestBackup(await getServices(), user, { itemId });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}

export async function stopProtectionAction(itemId: string, deleteData: boolean) {
  const user = await requireUser();
  const result = await stopProtection(await getServices(), user, { itemId, deleteData });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}
