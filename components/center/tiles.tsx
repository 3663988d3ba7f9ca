import Link from 'next/link';
import type { ReactNode } from 'react';

export type TileFigure = {
  label: string;
  value: string | number;
  href: string;
  tone?: 'good' | 'bad' | 'busy' | 'warn';
};

const TONES = { good: 'text-portal-green', bad: 'text-portal-red', busy: 'text-portal-blue', warn: 'text-[#8a6d00]' };

/**
 * A Backup center tile: a region named by the name written below its figures; every figure is a link to the list
 * behind it, named by its value and label ("3 Failed").
 */
export function CenterTile({ id, name, figures }: { id: string; name: string; figures: TileFigure[] }) {
  return (
    <section aria-labelledby={id} className="flex flex-col border border-portal-line px-4 py-3">
      <ul className="flex flex-wrap gap-x-6 gap-y-2">
        {figures.map((f) => (
          <li key={f.label}>
            <Link href={f.href} className="group block">
              <span className={`block text-3xl font-light ${f.tone && f.value ? TONES[f.tone] : ''}`}>{f.value}</span>{' '}
              <span className="block text-xs text-portal-muted group-hover:underline">{f.label}</span>
            </Link>
          </li>
        ))}
      </ul>
      <h2 id={id} className="mt-3 border-t border-portal-line pt-2 text-xs font-semibold tracking-wide uppercase">
        {name}
      </h2>
    </section>
  );
}

export function TileRow({ children }: { children: ReactNode }) {
  return <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">{children}</div>;
}
