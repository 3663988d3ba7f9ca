import type { AdherenceRow, DayOutcome } from '@/lib/center/queries';
import { escapeHtml } from '@/lib/html/markup';
import { GridKeys } from './grid-keys';

/** Each outcome's cell class (globals.css): green, red, grey. */
const CELL: Record<DayOutcome, string> = { Success: 'ag-ok', Failed: 'ag-fail', 'No backup': 'ag-none' };

/**
 * Policy adherence: a grid (a table with the grid role, so its cells are gridcells) with a row per protected item
 * and a cell per UTC day, each named by its outcome (Success, Failed, No backup), ending with the share of days that
 * have a recovery point. Its rows are one HTML string (lib/html/markup.ts): a page of 25 items over 90 days is 2,250
 * cells, which as elements would travel twice (the RSC payload and the HTML) and be hydrated; GridKeys moves the
 * focus between the cells with the arrow keys.
 */
export function AdherenceGrid({ days, rows }: { days: string[]; rows: AdherenceRow[] }) {
  return (
    <div className="overflow-x-auto pb-2">
      <GridKeys label="Policy adherence" html={gridHtml(days, rows)} dense={days.length > 31} />
    </div>
  );
}

function gridHtml(days: string[], rows: AdherenceRow[]): string {
  const dense = days.length > 31;
  const heads = days
    .map((day, i) => {
      const label = i === 0 || (!dense && i % 7 === 0) || (dense && i % 15 === 0) ? day.slice(5) : '';
      return `<th scope=col aria-label="${day}"><span aria-hidden=true>${label}</span></th>`;
    })
    .join('');
  const head = `<thead><tr><th scope=col class=ag-item>ITEM</th>${heads}<th scope=col class=ag-share>DAYS WITH A POINT</th></tr></thead>`;
  const body = rows
    .map((row, r) => {
      const name = escapeHtml(`${row.vaultName} › ${row.serverName} › ${row.path}`);
      const cells = row.days
        .map(
          (outcome, i) =>
            `<td${r === 0 && i === 0 ? ' tabindex=0' : ''} aria-label="${outcome}" class=${CELL[outcome]}></td>`,
        )
        .join('');
      return `<tr><th scope=row class=ag-item title="${name}">${name}</th>${cells}<td class=ag-share>${row.share} %</td></tr>`;
    })
    .join('');
  return `${head}<tbody>${body}</tbody>`;
}
