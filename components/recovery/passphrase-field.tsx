/** The passphrase box of the forms that open a vault's data in the browser (the recovery point, the skipped files). */
export function PassphraseField({
  value,
  onChange,
  className = 'flex flex-col gap-1',
}: {
  value: string;
  onChange: (value: string) => void;
  className?: string;
}) {
  return (
    <label className={className}>
      Passphrase
      <input
        type="password"
        autoComplete="off"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        className="border border-portal-line px-2 py-1.5"
      />
    </label>
  );
}
