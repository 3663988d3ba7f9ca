import type { ReactNode } from 'react';

/** The classic portal's page title: large, light and lower-case. */
export function PageTitle({ children }: { children: ReactNode }) {
  return <h1 className="px-8 pt-6 pb-4 text-4xl font-light lowercase text-[#1b1b1b]">{children}</h1>;
}

export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="mx-8 mt-8 border border-dashed border-portal-line px-8 py-12 text-center">
      <p className="text-xl font-light">{title}</p>
      <p className="mt-2 text-sm text-portal-muted">{children}</p>
    </div>
  );
}
