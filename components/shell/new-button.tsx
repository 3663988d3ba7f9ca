'use client';

import { PlusIcon } from '@/components/icons';

export function NewButton() {
  return (
    <button
      type="button"
      className="flex items-center gap-2 bg-[#404040] px-6 text-sm font-semibold tracking-wide hover:bg-[#505050]"
    >
      <PlusIcon width={22} height={22} strokeWidth={2} />
      NEW
    </button>
  );
}
