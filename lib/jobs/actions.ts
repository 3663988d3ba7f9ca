'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { cancelJob } from './cancel';

export async function cancelJobAction(vaultId: string, jobId: string) {
  const user = await requireUser();
  const result = await cancelJob(await getServices(), user, { vaultId, jobId });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}
