'use client';

import { useQuery } from '@tanstack/react-query';
import type { ReplicationAnswer } from '@/lib/replication/status';

/** How often the DASHBOARD asks again while it is open. */
export const REPLICATION_POLL_MS = 3000;

async function fetchReplication(vaultId: string): Promise<ReplicationAnswer> {
  const response = await fetch(`/api/vaults/${vaultId}/replication`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`replication poll answered ${response.status}`);
  return (await response.json()) as ReplicationAnswer;
}

/**
 * The DASHBOARD's Replication figure, live: the page's answer first, then asked again every few seconds (and on
 * window focus); a failed poll keeps the last answer.
 */
export function LiveReplication({ vaultId, initial }: { vaultId: string; initial: ReplicationAnswer }) {
  const { data } = useQuery({
    queryKey: ['replication', vaultId],
    queryFn: () => fetchReplication(vaultId),
    initialData: initial,
    refetchInterval: REPLICATION_POLL_MS,
    refetchOnWindowFocus: true,
  });
  return (
    <span aria-live="polite" data-state={data.state}>
      {data.text}
    </span>
  );
}
