export type ChainStatusView = { intact: true; entries: number; chains: number } | { intact: false; problems: string[] };

/**
 * The chain check's verdict, said plainly: a status when every visible chain holds, an alert naming each place where
 * one does not.
 */
export function ChainStatus({ check }: { check: ChainStatusView }) {
  if (check.intact) {
    return (
      <p role="status" className="mb-4 border-l-4 border-portal-green bg-[#f1f8f1] px-4 py-2 text-sm">
        The operation log is intact: {check.entries} {check.entries === 1 ? 'entry' : 'entries'} in {check.chains}{' '}
        {check.chains === 1 ? 'chain' : 'chains'} checked, none changed or missing.
      </p>
    );
  }
  return (
    <div role="alert" className="mb-4 border-l-4 border-portal-red bg-[#fdf3f4] px-4 py-2 text-sm">
      <p className="font-semibold">The operation log is broken: entries were changed or removed outside the portal.</p>
      <ul className="mt-1 list-disc pl-5">
        {check.problems.map((problem) => (
          <li key={problem}>{problem}</li>
        ))}
      </ul>
    </div>
  );
}
