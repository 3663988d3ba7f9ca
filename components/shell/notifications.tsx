'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useEffect, useRef } from 'react';
import { CloseIcon, ErrorIcon, SuccessIcon } from '@/components/icons';
import { dismissAllOperationsAction, dismissOperationAction } from '@/lib/operations/actions';
import type { OperationView } from '@/lib/operations/queries';

export const OPERATIONS_KEY = ['operations'] as const;
export const POLL_IN_FLIGHT_MS = 1000;
export const POLL_IDLE_MS = 60_000;

async function fetchOperations(): Promise<OperationView[]> {
  const response = await fetch('/api/operations', { cache: 'no-cache' });
  if (!response.ok) throw new Error(`operations poll answered ${response.status}`);
  return ((await response.json()) as { operations: OperationView[] }).operations;
}

/**
 * The bottom Notifications region. Polls about every second while an operation is in flight, once a minute when
 * idle, and on window focus. When an operation ends, the page's server data is refreshed (lists, statuses, counts).
 */
export function Notifications() {
  const router = useRouter();
  const queryClient = useQueryClient();
  const { data: operations = [] } = useQuery({
    queryKey: OPERATIONS_KEY,
    queryFn: fetchOperations,
    refetchInterval: (query) =>
      query.state.data?.some((op) => op.status === 'InProgress') ? POLL_IN_FLIGHT_MS : POLL_IDLE_MS,
    refetchOnWindowFocus: true,
  });

  const inFlight = useRef<Set<string> | null>(null);
  useEffect(() => {
    const now = new Set(operations.filter((op) => op.status === 'InProgress').map((op) => op.id));
    const before = inFlight.current;
    inFlight.current = now;
    if (before && [...before].some((id) => !now.has(id))) router.refresh();
  }, [operations, router]);

  async function dismiss(id: string) {
    queryClient.setQueryData<OperationView[]>(OPERATIONS_KEY, (ops) => ops?.filter((op) => op.id !== id));
    await dismissOperationAction(id);
    await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
  }

  async function dismissAll() {
    queryClient.setQueryData<OperationView[]>(OPERATIONS_KEY, (ops) => ops?.filter((op) => op.status === 'InProgress'));
    await dismissAllOperationsAction();
    await queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
  }

  const finished = operations.filter((op) => op.status !== 'InProgress').length;

  return (
    <section aria-label="Notifications" className="bg-portal-black text-white">
      {operations.length > 1 && (
        <div className="flex items-center gap-3 border-b border-white/10 px-4 py-1 text-xs">
          <span className="rounded-full bg-portal-blue px-2 py-0.5 font-semibold">{operations.length}</span>
          <span className="flex-1 text-[#c8c8c8]">notifications</span>
          {finished > 1 && (
            <button
              type="button"
              onClick={dismissAll}
              className="px-2 py-0.5 font-semibold tracking-wide hover:bg-white/10"
            >
              DISMISS ALL
            </button>
          )}
        </div>
      )}
      {operations.length === 0 ? (
        <p className="sr-only">No notifications.</p>
      ) : (
        <ul className="max-h-32 divide-y divide-white/10 overflow-y-auto">
          {operations.map((op) => (
            <li key={op.id} className="relative flex items-center gap-3 px-4 py-2 text-sm">
              {op.status === 'InProgress' ? (
                <>
                  <span className="flex-1">{op.message}</span>
                  <div
                    role="progressbar"
                    aria-label={op.message}
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={op.progress}
                    className="relative h-1.5 w-48 overflow-hidden bg-white/20"
                  >
                    <div
                      className="h-full bg-portal-blue transition-[width] duration-500"
                      style={{ width: `${Math.max(op.progress, 5)}%` }}
                    />
                    <div className="portal-progress-indeterminate absolute inset-y-0 left-0 w-1/3 bg-white/30" />
                  </div>
                  <span className="w-10 text-right text-xs text-[#c8c8c8]">{op.progress}%</span>
                </>
              ) : (
                <>
                  {op.status === 'Succeeded' ? (
                    <SuccessIcon className="shrink-0 text-[#6ccb5f]" />
                  ) : (
                    <ErrorIcon className="shrink-0 text-[#ff99a4]" />
                  )}
                  <span role="status" className="flex-1">
                    {op.message}
                  </span>
                  <button
                    type="button"
                    onClick={() => dismiss(op.id)}
                    aria-label="Dismiss"
                    title="Dismiss"
                    className="flex h-7 w-7 items-center justify-center hover:bg-white/10"
                  >
                    <CloseIcon width={16} height={16} />
                  </button>
                </>
              )}
              <span
                aria-hidden="true"
                className={`absolute inset-y-0 left-0 w-1 ${
                  op.status === 'Failed'
                    ? 'bg-portal-red'
                    : op.status === 'Succeeded'
                      ? 'bg-portal-green'
                      : 'bg-portal-blue'
                }`}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
