/** A dashboard figure: its label and a large value, green, red, blue or amber by its tone. */
export function Tile({
  label,
  value,
  tone,
}: {
  label: string;
  value: string | number;
  tone?: 'good' | 'bad' | 'busy' | 'warn';
}) {
  const color =
    tone === 'good'
      ? 'text-portal-green'
      : tone === 'bad'
        ? 'text-portal-red'
        : tone === 'busy'
          ? 'text-portal-blue'
          : tone === 'warn'
            ? 'text-[#8a6d00]'
            : '';
  return (
    <div className="border border-portal-line px-4 py-3">
      <dt className="text-xs font-semibold tracking-wide text-portal-muted">{label}</dt>
      <dd className={`mt-1 text-3xl font-light ${color}`}>{value}</dd>
    </div>
  );
}
