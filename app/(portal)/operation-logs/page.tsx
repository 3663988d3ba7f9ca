import type { Metadata } from 'next';
import Link from 'next/link';
import { ChainStatus } from '@/components/operation-logs/chain-status';
import { LogFiltersForm } from '@/components/operation-logs/log-filters';
import { LogTable } from '@/components/operation-logs/log-table';
import { EmptyState, PageTitle } from '@/components/page-title';
import { logsHref, parseLogFilters } from '@/lib/audit/filters';
import { listLogEntries, personalChain, visibleChains } from '@/lib/audit/queries';
import { checkChains, describeBreak } from '@/lib/audit/verify';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';

export const metadata: Metadata = { title: 'Operation logs' };

function utc(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value, null, 1);
}

export default async function OperationLogsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requireUser();
  const { db } = await getServices();
  const filters = parseLogFilters(await searchParams);
  const [{ entries, next, previous }, check] = await Promise.all([
    listLogEntries(db, user, filters),
    checkChains(db, visibleChains(user)),
  ]);
  const subscriptionName = new Map(user.subscriptions.map((s) => [s.id, s.displayName]));
  const chainName = (chain: string) =>
    chain === personalChain(user.id)
      ? 'Your own changes (tokens, security)'
      : `Subscription '${subscriptionName.get(chain) ?? chain}'`;
  const changed = new Set(check.breaks.filter((b) => b.kind === 'changed').map((b) => `${b.chain} ${b.from}`));
  const filtered = Boolean(filters.subscription || filters.category || filters.status || filters.q);
  return (
    <>
      <PageTitle>operation logs</PageTitle>
      <div className="px-8 pb-8">
        <ChainStatus
          check={
            check.breaks.length === 0
              ? { intact: true, entries: check.entries, chains: check.chains }
              : { intact: false, problems: check.breaks.map((b) => describeBreak(b, chainName(b.chain))) }
          }
        />
        <LogFiltersForm filters={filters} subscriptions={user.subscriptions} />
        {entries.length === 0 ? (
          <EmptyState title={filtered ? 'No entries match these filters.' : 'No operations yet.'}>
            {filtered
              ? 'Change or clear the filters to see more entries.'
              : 'Every change to your vaults, policies, credentials, people and tokens appears here.'}
          </EmptyState>
        ) : (
          <LogTable
            rows={entries.map((e) => ({
              id: e.id,
              entry: `Entry ${e.seq}`,
              changed: changed.has(`${e.chain} ${e.seq}`),
              time: utc(e.at),
              user: e.actor,
              subscription: e.subscriptionId ? (subscriptionName.get(e.subscriptionId) ?? e.subscriptionId) : '—',
              vault: e.vaultName ?? '—',
              operation: e.operation,
              target: e.target,
              status: e.status,
              detail: e.detail,
              before: json(e.before),
              after: json(e.after),
            }))}
          />
        )}
        <nav aria-label="Pages of operation logs" className="mt-4 flex gap-6 text-sm">
          {previous && (
            <Link
              href={logsHref({ ...filters, after: undefined, before: previous })}
              className="text-portal-blue underline"
            >
              Newer entries
            </Link>
          )}
          {next && (
            <Link
              href={logsHref({ ...filters, before: undefined, after: next })}
              className="text-portal-blue underline"
            >
              Older entries
            </Link>
          )}
        </nav>
      </div>
    </>
  );
}
