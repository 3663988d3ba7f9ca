'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { requireUser } from '@/lib/auth/guard';
import type { ActionResult } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { createToken, revokeToken } from './tokens';

/** CREATE TOKEN: the value goes back to the browser this once; the database keeps only its hash. */
export async function createTokenAction(): Promise<ActionResult<{ token: string }>> {
  const user = await requireUser();
  const { token } = await createToken((await getServices()).db, user);
  revalidatePath('/settings/tokens');
  return { ok: true, data: { token } };
}

export async function revokeTokenAction(tokenId: string): Promise<ActionResult> {
  const user = await requireUser();
  const id = z.uuid().safeParse(tokenId);
  const revoked = id.success && (await revokeToken((await getServices()).db, user, id.data));
  if (!revoked) return { ok: false, message: 'The token was not found.' };
  revalidatePath('/settings/tokens');
  return { ok: true, data: undefined };
}
