'use server';

import { revalidatePath } from 'next/cache';
import { headers } from 'next/headers';
import { currentUser, requireUser } from '@/lib/auth/guard';
import type { ActionResult } from '@/lib/errors';
import { getServices } from '@/lib/services';
import { portalOrigin } from '@/lib/urls';
import { acceptInvitation, changeRole, invite, removeMember, revokeInvitation } from './people';

const USERS_PAGE = '/settings/users';

/** INVITE: the link goes back to the Owner this once; the database keeps only its token's hash. */
export async function inviteAction(
  _prev: ActionResult<{ link: string }> | null,
  form: FormData,
): Promise<ActionResult<{ link: string }>> {
  const user = await requireUser();
  const svc = await getServices();
  // Built as the credentials file's WebPortalLink is: PORTAL_URL, or a trusted proxy's validated word, never the client's.
  const origin = portalOrigin({ headers: await headers() }, svc.env);
  const result = await invite(
    svc,
    user,
    { subscriptionId: form.get('subscriptionId'), email: form.get('email'), role: form.get('role') },
    origin,
  );
  if (!result.ok) return result;
  revalidatePath(USERS_PAGE);
  return { ok: true, data: { link: result.data.link } };
}

export async function revokeInvitationAction(subscriptionId: string, invitationId: string): Promise<ActionResult> {
  const user = await requireUser();
  const result = await revokeInvitation(await getServices(), user, { subscriptionId, invitationId });
  if (result.ok) revalidatePath(USERS_PAGE);
  return result;
}

export async function changeRoleAction(subscriptionId: string, userId: string, role: string): Promise<ActionResult> {
  const user = await requireUser();
  const result = await changeRole(await getServices(), user, { subscriptionId, userId, role });
  // Any page may show what the role allows, the caller's own included.
  if (result.ok) revalidatePath('/', 'layout');
  return result;
}

export async function removeMemberAction(subscriptionId: string, userId: string): Promise<ActionResult> {
  const user = await requireUser();
  const result = await removeMember(await getServices(), user, { subscriptionId, userId });
  if (result.ok) revalidatePath('/', 'layout');
  return result;
}

/**
 * Accept invitation: reachable signed out (the link is the credential). Signed in, it joins that account; the form
 * then signs the new account in with the password it just set.
 */
export async function acceptInvitationAction(
  token: string,
  form: FormData,
): Promise<ActionResult<{ email: string; newAccount: boolean }>> {
  const result = await acceptInvitation(await getServices(), await currentUser(), {
    token,
    password: form.get('password'),
    confirmPassword: form.get('confirmPassword'),
  });
  if (result.ok) revalidatePath('/', 'layout');
  return result;
}
