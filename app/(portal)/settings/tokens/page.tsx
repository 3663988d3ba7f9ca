import type { Metadata } from 'next';
import { PageTitle } from '@/components/page-title';
import { Tokens } from '@/components/settings/tokens';
import { TableHead } from '@/components/table-head';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { listTokens } from '@/lib/tokens/tokens';

export const metadata: Metadata = { title: 'Personal access tokens' };

function utc(date: Date | null): string {
  return date ? `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC` : 'Never';
}

export default async function TokensPage() {
  const user = await requireUser();
  const tokens = await listTokens((await getServices()).db, user.id);
  return (
    <>
      <PageTitle>personal access tokens</PageTitle>
      <div className="space-y-8 px-8 pb-8">
        <p className="max-w-4xl text-sm text-portal-muted">
          A token lets scripts, the Azure SDKs and other tools use this portal&apos;s Azure Resource Manager API as you,
          with your roles. Point them at this portal&apos;s address as their endpoint.
        </p>
        <Tokens
          tokens={tokens.map((t) => ({
            id: t.id,
            prefix: t.prefix,
            created: utc(t.createdAt),
            lastUsed: utc(t.lastUsedAt),
          }))}
        />
        <section className="max-w-4xl">
          <h2 className="mb-2 text-xl font-light">Your subscriptions</h2>
          <table className="w-full border-collapse text-sm">
            <TableHead columns={['NAME', 'SUBSCRIPTION ID', 'ROLE']} />
            <tbody>
              {user.subscriptions.map((s) => (
                <tr key={s.id} className="border-b border-portal-line">
                  <td className="py-2.5 pr-4">{s.displayName}</td>
                  <td className="py-2.5 pr-4 font-mono">{s.id}</td>
                  <td className="py-2.5 pr-4">{s.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}
