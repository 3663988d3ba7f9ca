import type { ReactNode } from 'react';

export function TabEmpty({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="border border-dashed border-portal-line px-8 py-10 text-center">
      <p className="text-lg font-light">{title}</p>
      <p className="mt-2 text-sm text-portal-muted">{children}</p>
    </div>
  );
}
