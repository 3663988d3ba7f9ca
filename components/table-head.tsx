/** The classic list's header row: capitalised column names over a thin rule. A null column is a blank one. */
export function TableHead({ columns }: { columns: (string | null)[] }) {
  return (
    <thead>
      <tr className="border-b border-portal-line text-left text-xs tracking-wide text-portal-muted">
        {columns.map((column, i) => (
          <th key={column ?? `blank-${i}`} scope="col" className={`py-2 pr-4 font-semibold ${column ? '' : 'w-8'}`}>
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}
