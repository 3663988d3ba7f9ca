'use server';

import { revalidatePath } from 'next/cache';
import { z } from 'zod';
import { type ActionResult, fieldRefusal, PortalError, refused } from '@/lib/errors';
import { resolveAuthSecret } from '@/lib/secrets';
import { getServices } from '@/lib/services';
import { requireUser } from './guard';
import { beginSetup, cancelSetup, confirmSetup, turnOff } from './two-step';

const codeSchema = z.object({
  code: z.string({ error: 'Enter a code.' }).trim().min(1, 'Enter a code.').max(64, 'The code is incorrect.'),
});

const PAGE = '/settings/security';

async function context() {
  const user = await requireUser();
  const svc = await getServices();
  return { user, db: svc.db, authSecret: resolveAuthSecret(svc.env) };
}

/** The page's refusals as its form shows them: a wrong code is the field's error. */
function refusedCode(err: PortalError): ActionResult<never> {
  return refused(err.code === 'invalid' ? fieldRefusal('invalid', { code: err.message }) : err);
}

/** SET UP: a new pending secret, shown on the page until a code from it turns two-step sign-in on. */
export async function beginSetupAction(): Promise<ActionResult> {
  const { user, db, authSecret } = await context();
  const err = await beginSetup(db, authSecret, user);
  if (err) return refusedCode(err);
  revalidatePath(PAGE);
  return { ok: true, data: undefined };
}

export async function cancelSetupAction(): Promise<ActionResult> {
  const { user, db } = await context();
  await cancelSetup(db, user);
  revalidatePath(PAGE);
  return { ok: true, data: undefined };
}

/** TURN ON with a code from the pending secret: the recovery codes go back to the browser this once. */
export async function confirmSetupAction(
  _previous: ActionResult<{ recoveryCodes: string[] }> | null,
  form: FormData,
): Promise<ActionResult<{ recoveryCodes: string[] }>> {
  const { user, db, authSecret } = await context();
  const parsed = codeSchema.safeParse({ code: form.get('code') ?? '' });
  if (!parsed.success) return { ok: false, fieldErrors: { code: parsed.error.issues[0]!.message } };
  const result = await confirmSetup(db, authSecret, user, parsed.data.code);
  if (result instanceof PortalError) return refusedCode(result);
  revalidatePath(PAGE);
  return { ok: true, data: result };
}

/** TURN OFF with a current code or a recovery code. */
export async function turnOffAction(_previous: ActionResult | null, form: FormData): Promise<ActionResult> {
  const { user, db, authSecret } = await context();
  const parsed = codeSchema.safeParse({ code: form.get('code') ?? '' });
  if (!parsed.success) return { ok: false, fieldErrors: { code: parsed.error.issues[0]!.message } };
  const err = await turnOff(db, authSecret, user, parsed.data.code);
  if (err) return refusedCode(err);
  revalidatePath(PAGE);
  return { ok: true, data: undefined, message: 'Two-step sign-in is off.' };
}
