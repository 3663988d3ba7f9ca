'use client';

import type { KeyboardEvent } from 'react';

const MOVES: Record<string, [number, number]> = {
  ArrowLeft: [0, -1],
  ArrowRight: [0, 1],
  ArrowUp: [-1, 0],
  ArrowDown: [1, 0],
};

/**
 * A table with the `grid` role, its rows given as HTML (adherence-grid.tsx), whose cells are reached with the arrow
 * keys, Home and End: the focused cell is the one in the tab order (a roving tabindex), as the ARIA grid pattern asks.
 */
export function GridKeys({ label, html, dense }: { label: string; html: string; dense: boolean }) {
  function onKeyDown(event: KeyboardEvent<HTMLTableElement>) {
    const cell = (event.target as HTMLElement).closest<HTMLElement>('td');
    const row = cell?.parentElement;
    if (!cell || !row) return;
    const rows = [...event.currentTarget.querySelectorAll(':scope > tbody > tr')];
    const cellsOf = (r: Element) => [...r.querySelectorAll<HTMLElement>(':scope > td')];
    let r = rows.indexOf(row);
    let c = cellsOf(row).indexOf(cell);
    const move = MOVES[event.key];
    if (move) {
      r += move[0];
      c += move[1];
    } else if (event.key === 'Home') c = 0;
    else if (event.key === 'End') c = cellsOf(row).length - 1;
    else return;
    event.preventDefault();
    const target = rows[r] ? cellsOf(rows[r]!)[c] : undefined;
    if (!target) return;
    cell.removeAttribute('tabindex');
    target.tabIndex = 0;
    target.focus();
  }
  return (
    <table
      // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: a data grid is a table with the grid role (ARIA's grid pattern); its keys are handled here
      role="grid"
      aria-label={label}
      onKeyDown={onKeyDown}
      className={`adherence ${dense ? 'dense' : ''}`}
      // biome-ignore lint/security/noDangerouslySetInnerHtml: built by adherence-grid.tsx, every name escaped
      dangerouslySetInnerHTML={{ __html: html }}
    />
  );
}
