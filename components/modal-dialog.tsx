'use client';

import { type ReactNode, useEffect, useRef } from 'react';

/**
 * A native modal <dialog>, open while mounted: the browser moves focus into it and keeps it there (the page behind is
 * inert), Escape closes it through `onClose`, and on close focus returns to the control that opened it.
 */
export function ModalDialog({
  label,
  role,
  onClose,
  className,
  children,
}: {
  label: string;
  role?: 'alertdialog';
  onClose: () => void;
  className?: string;
  children: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      role={role}
      aria-label={label}
      onCancel={(event) => {
        // Escape: the parent decides, so its state and the dialog never disagree.
        event.preventDefault();
        onClose();
      }}
      className={className}
    >
      {children}
    </dialog>
  );
}
