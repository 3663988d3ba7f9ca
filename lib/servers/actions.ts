'use server';

import { revalidatePath } from 'next/cache';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { allowReregistration, unregisterServer } from './servers';

export async function allowReregistrationAction(serverId: string) {
  const user = await requireUser();
  const result = await allowReregistration(await getServices(), user, { serverId });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}

export async function unregisterServerAction(serverId: string) {
  const user = await requireUser();
  const result = await unregisterServer(await getServices(), user, { serverId });
  if (result.ok) revalidatePath('/recovery-services', 'layout');
  return result;
}
