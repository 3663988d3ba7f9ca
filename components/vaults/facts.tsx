import type { ReactNode } from 'react';

export function Facts({ items }: { items: [string, ReactNode][] }) {
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-8 gap-y-2 text-sm">
      {items.map(([term, value]) => (
        <div key={term} className="contents">
          <dt className="text-xs font-semibold tracking-wide text-portal-muted uppercase">{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
