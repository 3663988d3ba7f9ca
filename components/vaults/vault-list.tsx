import Link from 'next/link';
import { EmptyState, PageTitle } from '@/components/page-title';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { listVaults } from '@/lib/vaults/queries';
import { VaultTable } from './vault-table';

/** A titled, keyset-paginated list of the user's vaults (RECOVERY SERVICES and ALL ITEMS). */
export async function VaultList({
  title,
  basePath,
  after,
  empty,
}: {
  title: string;
  basePath: string;
  after?: string;
  empty: { title: string; text: string };
}) {
  const user = await requireUser();
  const { rows, next } = await listVaults((await getServices()).db, user, { after });
  return (
    <>
      <PageTitle>{title}</PageTitle>
      {rows.length === 0 && !after ? (
        <EmptyState title={empty.title}>{empty.text}</EmptyState>
      ) : (
        <>
          {after && (
            <p className="px-8 pb-2 text-sm">
              <Link href={basePath} className="text-portal-blue hover:underline">
                First page
              </Link>
            </p>
          )}
          <VaultTable rows={rows} next={next} basePath={basePath} />
        </>
      )}
    </>
  );
}
