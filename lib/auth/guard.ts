import 'server-only';
import { redirect } from 'next/navigation';
import { getServerSession } from 'next-auth';
import { cache } from 'react';
import { getAuthOptions } from './options';
import { loadUser, type PortalUser } from './users';

/** The signed-in user with their subscriptions, or null. Checked against the database: a deleted user is signed out. */
export const currentUser = cache(async (): Promise<PortalUser | null> => {
  const session = await getServerSession(getAuthOptions());
  const id = session?.user?.id;
  return id ? loadUser(id) : null;
});

/** The one guard every portal page and server action passes first. */
export async function requireUser(): Promise<PortalUser> {
  const user = await currentUser();
  if (!user) redirect('/signin');
  return user;
}
