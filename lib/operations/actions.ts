'use server';

import { z } from 'zod';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { dismissFinishedOperations, dismissOperation } from './queries';

export async function dismissOperationAction(operationId: string): Promise<{ ok: boolean }> {
  const user = await requireUser();
  const id = z.uuid().safeParse(operationId);
  if (!id.success) return { ok: false };
  const { db } = await getServices();
  return { ok: await dismissOperation(db, user.id, id.data) };
}

export async function dismissAllOperationsAction(): Promise<{ ok: boolean }> {
  const user = await requireUser();
  const { db } = await getServices();
  await dismissFinishedOperations(db, user.id);
  return { ok: true };
}
