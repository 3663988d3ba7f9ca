/** One numbered step of the vault's QUICK START. */
export function Step({ n, title, children }: { n: number; title: string; children: React.ReactNode }) {
  return (
    <li className="grid grid-cols-[3rem_1fr] gap-4">
      <span aria-hidden="true" className="text-5xl font-light text-portal-blue">
        {n}
      </span>
      <div>
        <h3 className="text-xl font-light">{title}</h3>
        <div className="mt-1 space-y-2 text-sm text-portal-muted">{children}</div>
      </div>
    </li>
  );
}
