'use client';

import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Re-renders the page's server components: every second while something on it runs, every few seconds otherwise so
 * that work started elsewhere (an agent's backup) appears without a reload. Paused while the tab is hidden.
 */
export function LiveRefresh({
  active,
  activeMs = 1000,
  idleMs = 5000,
}: {
  active: boolean;
  activeMs?: number;
  idleMs?: number;
}) {
  const router = useRouter();
  useEffect(() => {
    const timer = setInterval(
      () => {
        if (document.visibilityState === 'visible') router.refresh();
      },
      active ? activeMs : idleMs,
    );
    return () => clearInterval(timer);
  }, [active, activeMs, idleMs, router]);
  return null;
}
