import type { ReactNode } from 'react';

/**
 * A row of the classic portal's lists that the user selects for the command bar's actions: a click anywhere on it, or
 * its radio (named for what it selects, so tests and screen readers find it), selects it.
 */
export function SelectableRow({
  group,
  label,
  selected,
  onSelect,
  top = false,
  selectable = true,
  children,
}: {
  /** The radios' name: one group per list. */
  group: string;
  label: string;
  selected: boolean;
  onSelect: () => void;
  /** Cells aligned to the top, for rows whose cells wrap to several lines. */
  top?: boolean;
  /** False for a viewer who may not act on the list: the same row, without its radio. */
  selectable?: boolean;
  children: ReactNode;
}) {
  if (!selectable) return <tr className="border-b border-portal-line">{children}</tr>;
  return (
    <tr
      aria-selected={selected}
      onClick={onSelect}
      className={`cursor-pointer border-b border-portal-line ${top ? 'align-top' : ''} ${selected ? 'bg-portal-selected' : 'hover:bg-portal-row'}`}
    >
      <td className={`${top ? 'py-2' : 'py-2.5'} pl-2`}>
        <input
          type="radio"
          name={group}
          aria-label={label}
          checked={selected}
          onChange={onSelect}
          className="accent-portal-blue"
        />
      </td>
      {children}
    </tr>
  );
}

/** What the last action said: a status when it went through, an alert when it was refused. */
export function ActionFeedback({ feedback }: { feedback: { ok: boolean; text: string } | null }) {
  return (
    <p
      role={feedback?.ok ? 'status' : 'alert'}
      className={`mt-3 min-h-5 text-sm ${feedback?.ok ? 'text-portal-text' : 'text-portal-red'}`}
    >
      {feedback?.text}
    </p>
  );
}
