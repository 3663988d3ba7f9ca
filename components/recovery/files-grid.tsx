'use client';

import { useVirtualizer } from '@tanstack/react-virtual';
import { type KeyboardEvent, type MouseEvent, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { TreeEntry } from '@/lib/backup-format/tree';
import { formatBytes } from '@/lib/format';
import type { FolderListing, PointReader } from './point-reader';

/** A row of the flattened tree: an entry, or a placeholder for an entry of a page not read yet. */
type Row =
  | { kind: 'entry'; path: string; depth: number; entry: TreeEntry }
  | { kind: 'pending'; key: string; depth: number; folder: string; page: number };

export type Selection = { path: string; entry: TreeEntry } | null;

const ROW_HEIGHT = 30;
const HEADER_HEIGHT = 34;
const ROOT = '';

/**
 * The Files treegrid: the point's folders open in place; rows are virtualized, so only those in view (and a few
 * around them) are in the DOM, and a large folder's pages are read as their rows come into view.
 */
export function FilesGrid({
  reader,
  root,
  onSelect,
  onError,
}: {
  reader: PointReader;
  root: FolderListing;
  onSelect: (selection: Selection) => void;
  onError: (message: string) => void;
}) {
  // Listings by folder path ('' for the point's top); a folder is open while its path is in `open`.
  const [listings, setListings] = useState<Map<string, FolderListing>>(() => new Map([[ROOT, root]]));
  const [open, setOpen] = useState<Set<string>>(() => new Set([ROOT]));
  const [selected, setSelected] = useState<string | null>(null);
  const loading = useRef(new Set<string>());
  const scroller = useRef<HTMLDivElement>(null);

  const rows = useMemo(() => flatten(listings, open), [listings, open]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    // The rows start below the sticky header, which also covers the top of the scrolling box: a row scrolled to
    // must end that much above the box's bottom to be seen whole.
    scrollPaddingEnd: HEADER_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();

  const replacePage = useCallback((folder: string, page: number, entries: TreeEntry[]) => {
    setListings((current) => {
      const listing = current.get(folder);
      if (!listing) return current;
      const pages = listing.pages.map((p, i) => (i === page ? { ...p, entries } : p));
      return new Map(current).set(folder, { pages });
    });
  }, []);

  // Reads the pages whose placeholder rows are in view.
  useEffect(() => {
    for (const item of items) {
      const row = rows[item.index];
      if (row?.kind !== 'pending') continue;
      const key = `${row.folder}\u0000${row.page}`;
      if (loading.current.has(key)) continue;
      loading.current.add(key);
      const page = listings.get(row.folder)?.pages[row.page];
      if (!page?.id) continue;
      reader
        .loadPage({ id: page.id, count: page.count })
        .then((entries) => replacePage(row.folder, row.page, entries))
        .catch((error: Error) => onError(error.message));
    }
  }, [items, rows, listings, reader, replacePage, onError]);

  async function toggle(path: string, entry: TreeEntry) {
    if (entry.type !== 'dir') return;
    if (open.has(path)) {
      setOpen((current) => {
        const next = new Set(current);
        next.delete(path);
        return next;
      });
      return;
    }
    if (!listings.has(path)) {
      try {
        const listing = await reader.folder(entry.tree!);
        setListings((current) => new Map(current).set(path, listing));
      } catch (error) {
        onError((error as Error).message);
        return;
      }
    }
    setOpen((current) => new Set(current).add(path));
  }

  function select(index: number) {
    const row = rows[index];
    if (row?.kind !== 'entry') return;
    setSelected(row.path);
    onSelect({ path: row.path, entry: row.entry });
    virtualizer.scrollToIndex(index);
  }

  function onKeyDown(event: KeyboardEvent) {
    const index = rows.findIndex((r) => r.kind === 'entry' && r.path === selected);
    const row = rows[index];
    if (event.key === 'ArrowDown') select(Math.min(rows.length - 1, index + 1));
    else if (event.key === 'ArrowUp') select(Math.max(0, index - 1));
    else if (row?.kind === 'entry' && row.entry.type === 'dir') {
      const isOpen = open.has(row.path);
      if ((event.key === 'ArrowRight' && !isOpen) || (event.key === 'ArrowLeft' && isOpen) || event.key === 'Enter') {
        void toggle(row.path, row.entry);
      } else return;
    } else return;
    event.preventDefault();
  }

  function rowIndexOf(target: EventTarget): number | null {
    const row = (target as HTMLElement).closest?.('tr[data-index]');
    return row ? Number(row.getAttribute('data-index')) : null;
  }

  function onClick(event: MouseEvent) {
    const index = rowIndexOf(event.target);
    if (index === null) return;
    select(index);
    const row = rows[index];
    if (row?.kind === 'entry' && (event.target as HTMLElement).closest('[data-toggle]'))
      void toggle(row.path, row.entry);
  }

  function onDoubleClick(event: MouseEvent) {
    const index = rowIndexOf(event.target);
    const row = index === null ? undefined : rows[index];
    if (row?.kind === 'entry') void toggle(row.path, row.entry);
  }

  const columns = 'grid w-full grid-cols-[1fr_8rem_14rem] items-center';
  return (
    <div ref={scroller} className="h-[28rem] w-full max-w-5xl overflow-auto border border-portal-line">
      <table
        aria-label="Files"
        // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: a treegrid is a table whose rows expand; the table keeps rows and cells semantic.
        role="treegrid"
        aria-rowcount={rows.length + 1}
        tabIndex={0}
        onKeyDown={onKeyDown}
        onClick={onClick}
        onDoubleClick={onDoubleClick}
        className="block w-full text-sm outline-none focus-visible:ring-2 focus-visible:ring-portal-blue"
      >
        <thead className="sticky top-0 z-10 block bg-white">
          <tr aria-rowindex={1} className={`${columns} border-b border-portal-line`} style={{ height: HEADER_HEIGHT }}>
            {['NAME', 'SIZE', 'MODIFIED'].map((name) => (
              <th key={name} className="px-2 text-left text-xs font-semibold text-portal-muted">
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="relative block w-full" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index]!;
            const style = { height: ROW_HEIGHT, transform: `translateY(${item.start}px)` };
            const position = `absolute top-0 left-0 ${columns}`;
            if (row.kind === 'pending') {
              return (
                <tr key={row.key} aria-rowindex={item.index + 2} className={position} style={style}>
                  <td className="px-2 text-portal-muted" style={{ paddingLeft: 8 + row.depth * 18 }}>
                    Loading…
                  </td>
                  <td />
                  <td />
                </tr>
              );
            }
            const { entry } = row;
            const isDir = entry.type === 'dir';
            const isSelected = row.path === selected;
            return (
              <tr
                key={row.path}
                data-index={item.index}
                aria-rowindex={item.index + 2}
                aria-level={row.depth + 1}
                aria-expanded={isDir ? open.has(row.path) : undefined}
                aria-selected={isSelected}
                className={`${position} cursor-pointer border-b border-portal-line ${isSelected ? 'bg-portal-selected' : 'hover:bg-portal-row'}`}
                style={style}
              >
                <td className="truncate px-2" style={{ paddingLeft: 8 + row.depth * 18 }}>
                  <span
                    aria-hidden="true"
                    data-toggle={isDir ? '' : undefined}
                    className="inline-block w-4 text-portal-muted"
                  >
                    {isDir ? (open.has(row.path) ? '▾' : '▸') : ''}
                  </span>
                  {entry.name}
                  {isDir ? '/' : ''}
                </td>
                <td className="px-2 tabular-nums">{entry.type === 'file' ? formatBytes(entry.size) : ''}</td>
                <td className="px-2">{new Date(entry.mtimeMs).toLocaleString()}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The rows in view order: each open folder's entries beneath it, placeholders where a page is not read yet. */
function flatten(listings: Map<string, FolderListing>, open: Set<string>): Row[] {
  const rows: Row[] = [];
  const walk = (folder: string, depth: number) => {
    const listing = listings.get(folder);
    if (!listing) return;
    listing.pages.forEach((page, index) => {
      if (!page.entries) {
        for (let i = 0; i < page.count; i++) {
          rows.push({ kind: 'pending', key: `${folder}\u0000${index}\u0000${i}`, depth, folder, page: index });
        }
        return;
      }
      for (const entry of page.entries) {
        const path = folder === ROOT ? entry.name : `${folder}/${entry.name}`;
        rows.push({ kind: 'entry', path, depth, entry });
        if (entry.type === 'dir' && open.has(path)) walk(path, depth + 1);
      }
    });
  };
  walk(ROOT, 0);
  return rows;
}
