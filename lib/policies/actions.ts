'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { assignPolicy, createPolicy, deletePolicy, updatePolicy } from './policies';
import { previewPolicy } from './preview';

export async function createPolicyAction(input: Record<string, unknown>) {
  const user = await requireUser();
  const result = await createPolicy(await getServices(), user, input);
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}

export async function updatePolicyAction(input: Record<string, unknown>) {
  const user = await requireUser();
  const result = await updatePolicy(await getServices(), user, input);
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}

export async function deletePolicyAction(vaultId: string, policyId: string) {
  const user = await requireUser();
  const result = await deletePolicy(await getServices(), user, { vaultId, policyId });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}

export async function assignPolicyAction(itemId: string, policyId: string) {
  const user = await requireUser();
  const result = await assignPolicy(await getServices(), user, { itemId, policyId });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}

export async function previewPolicyAction(input: Record<string, unknown>) {
  const user = await requireUser();
  return previewPolicy(await getServices(), user, input);
}
