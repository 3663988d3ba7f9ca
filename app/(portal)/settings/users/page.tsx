import type { Metadata } from 'next';
import { PageTitle } from '@/components/page-title';
import { People } from '@/components/people/people';
import { requireUser } from '@/lib/auth/guard';
import { listPeople } from '@/lib/people/people';
import { getServices } from '@/lib/services';

export const metadata: Metadata = { title: 'Users' };

export default async function UsersPage() {
  const user = await requireUser();
  const subscriptions = await listPeople((await getServices()).db, user);
  return (
    <>
      <PageTitle>users</PageTitle>
      <People
        you={user.id}
        subscriptions={subscriptions.map((s) => ({
          id: s.id,
          displayName: s.displayName,
          role: s.role,
          members: s.members,
          invitations: s.invitations.map((i) => ({
            id: i.id,
            email: i.email,
            role: i.role,
            invitedBy: i.invitedBy ?? '',
            expires: `${i.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
          })),
        }))}
      />
    </>
  );
}
