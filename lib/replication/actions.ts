'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { requestVerify } from './verify';

/** VERIFY on PROTECTED ITEMS: a VerifyStorage job of the item's packs in each store. */
export async function verifyStorageAction(itemId: string) {
  const user = await requireUser();
  const result = await requestVerify(await getServices(), user, { itemId });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result.ok ? { ok: true as const, data: undefined, message: result.message } : result;
}
