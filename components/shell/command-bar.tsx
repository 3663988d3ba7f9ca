'use client';

import { type ComponentType, createContext, type ReactNode, type SVGProps, useContext, useState } from 'react';
import { createPortal } from 'react-dom';

const SlotContext = createContext<{ slot: HTMLElement | null; setSlot: (el: HTMLElement | null) => void }>({
  slot: null,
  setSlot: () => {},
});

/** Lets a page put its context buttons into the shell's command bar, beside NEW. */
export function CommandBarProvider({ children }: { children: ReactNode }) {
  const [slot, setSlot] = useState<HTMLElement | null>(null);
  return <SlotContext.Provider value={{ slot, setSlot }}>{children}</SlotContext.Provider>;
}

export function CommandBar({ start }: { start: ReactNode }) {
  const { setSlot } = useContext(SlotContext);
  return (
    <div
      role="toolbar"
      aria-label="Command bar"
      className="flex h-16 shrink-0 items-stretch bg-portal-bar text-white shadow-[0_-1px_0_#000]"
    >
      {start}
      <div ref={setSlot} className="flex items-stretch gap-1 px-3" />
    </div>
  );
}

export function CommandBarActions({ children }: { children: ReactNode }) {
  const { slot } = useContext(SlotContext);
  return slot ? createPortal(children, slot) : null;
}

export function CommandButton({
  label,
  icon: ButtonIcon,
  onClick,
  disabled,
}: {
  label: string;
  icon: ComponentType<SVGProps<SVGSVGElement>>;
  onClick?: () => void;
  disabled?: boolean;
}) {
  return (
    <button
      type="button"
      onClick={onClick}
      disabled={disabled}
      className="group flex min-w-16 flex-col items-center justify-center gap-1 px-2 text-[10px] font-semibold tracking-wide enabled:hover:bg-white/10 disabled:opacity-40"
    >
      <span className="flex h-7 w-7 items-center justify-center rounded-full border-2 border-current">
        <ButtonIcon width={14} height={14} strokeWidth={2} />
      </span>
      {label}
    </button>
  );
}
