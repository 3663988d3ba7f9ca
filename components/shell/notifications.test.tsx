// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen } from '@testing-library/react';
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { OperationView } from '@/lib/operations/queries';

const refresh = vi.fn();
vi.mock('next/navigation', () => ({ useRouter: () => ({ refresh, push: vi.fn(), replace: vi.fn() }) }));
vi.mock('@/lib/operations/actions', () => ({
  dismissOperationAction: vi.fn(async () => ({ ok: true })),
  dismissAllOperationsAction: vi.fn(async () => ({ ok: true })),
}));

const { Notifications } = await import('./notifications');

const inFlight: OperationView = {
  id: '00000000-0000-4000-8000-000000000001',
  kind: 'CreateVault',
  status: 'InProgress',
  progress: 40,
  message: "Creating backup vault 'alpha'...",
  vaultId: '00000000-0000-4000-8000-000000000002',
  vaultName: 'alpha',
  startedAt: new Date().toISOString(),
};
const done: OperationView = {
  ...inFlight,
  status: 'Succeeded',
  progress: 100,
  message: "The backup vault 'alpha' has been successfully created.",
};

let polls: number[] = [];
let answer: OperationView[] = [];
const server = setupServer(
  http.get('*/api/operations', () => {
    polls.push(Date.now());
    return HttpResponse.json({ operations: answer });
  }),
);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  polls = [];
  refresh.mockClear();
});
afterAll(() => server.close());

function renderRegion() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <Notifications />
    </QueryClientProvider>,
  );
}

const wait = (ms: number) => act(() => new Promise((r) => setTimeout(r, ms)));

describe('Notifications polling', () => {
  it('polls about every second while an operation is in flight, then stops once it has ended', async () => {
    answer = [inFlight];
    renderRegion();
    expect((await screen.findByRole('progressbar')).getAttribute('aria-valuenow')).toBe('40');
    await wait(3300);
    // First fetch plus about one a second.
    expect(polls.length).toBeGreaterThanOrEqual(3);
    expect(polls.length).toBeLessThanOrEqual(5);

    answer = [done];
    await wait(1300);
    expect(await screen.findByText("The backup vault 'alpha' has been successfully created.")).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    expect(screen.getByRole('button', { name: 'Dismiss' })).toBeTruthy();
    // The end of an operation refreshes the server-rendered page (list statuses, counts).
    expect(refresh).toHaveBeenCalledTimes(1);

    const settled = polls.length;
    await wait(3000);
    expect(polls.length).toBe(settled);
  });

  it('does not poll again soon when nothing is in flight, but does on window focus', async () => {
    answer = [];
    renderRegion();
    await wait(300);
    expect(polls).toHaveLength(1);
    await wait(2500);
    expect(polls).toHaveLength(1);
    await act(async () => {
      window.dispatchEvent(new Event('visibilitychange'));
      window.dispatchEvent(new Event('focus'));
    });
    await wait(300);
    expect(polls.length).toBe(2);
  });

  it('shows a Dismiss button per finished operation and removes it when dismissed', async () => {
    answer = [done];
    renderRegion();
    const dismiss = await screen.findByRole('button', { name: 'Dismiss' });
    answer = [];
    await act(async () => dismiss.click());
    await wait(200);
    expect(screen.queryByText(done.message)).toBeNull();
  });

  it('counts several notifications and dismisses all finished ones at once, keeping those in flight', async () => {
    const failed: OperationView = {
      ...done,
      id: '00000000-0000-4000-8000-000000000003',
      status: 'Failed',
      message: 'x failed',
    };
    const running: OperationView = { ...inFlight, id: '00000000-0000-4000-8000-000000000004' };
    answer = [running, done, failed];
    renderRegion();
    expect(await screen.findByText('3')).toBeTruthy();
    const all = screen.getByRole('button', { name: 'DISMISS ALL' });
    answer = [running];
    await act(async () => all.click());
    await wait(200);
    expect(screen.queryByText(done.message)).toBeNull();
    expect(screen.queryByText('x failed')).toBeNull();
    expect(screen.getByRole('progressbar')).toBeTruthy();
  });
});
