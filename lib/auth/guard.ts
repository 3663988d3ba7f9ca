import 'server-only';
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { getAuthOptions } from './options';
import { sessionUserId } from './session';
import { loadUser, type PortalUser } from './users';

/** The signed-in user with their subscriptions, or null. Checked against the database: a deleted user is signed out. */
export const currentUser = cache(async (): Promise<PortalUser | null> => {
  const id = await sessionUserId(await cookies(), getAuthOptions().secret!);
  return id ? loadUser(id) : null;
});

/** The one guard every portal page and server action passes first. */
export async function requireUser(): Promise<PortalUser> {
  const user = await currentUser();
  if (!user) redirect('/signin');
  return user;
}
