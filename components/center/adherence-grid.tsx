import type { AdherenceRow, DayOutcome } from '@/lib/center/queries';
import { GridKeys } from './grid-keys';

const CELL: Record<DayOutcome, string> = {
  Success: 'bg-portal-green',
  Failed: 'bg-portal-red',
  'No backup': 'bg-[#e1e1e1]',
};

/**
 * Policy adherence: a grid (a table with the grid role, so its cells are gridcells) with a row per protected item
 * and a cell per UTC day, each named by its outcome (Success, Failed, No backup), ending with the share of days
 * that have a recovery point. Rendered on the server; GridKeys moves the focus between cells with the arrow keys.
 */
export function AdherenceGrid({ days, rows }: { days: string[]; rows: AdherenceRow[] }) {
  const dense = days.length > 31;
  const cell = dense ? 'w-1.5 min-w-1.5' : 'w-3 min-w-3';
  return (
    <div className="overflow-x-auto pb-2">
      <GridKeys label="Policy adherence">
        <thead>
          <tr className="text-xs text-portal-muted">
            <th scope="col" className="pr-3 text-left font-semibold">
              ITEM
            </th>
            {days.map((day, i) => (
              <th key={day} scope="col" aria-label={day} className="p-0 text-left align-bottom font-normal">
                <span aria-hidden="true" className="block w-0 whitespace-nowrap">
                  {i === 0 || (!dense && i % 7 === 0) || (dense && i % 15 === 0) ? day.slice(5) : ''}
                </span>
              </th>
            ))}
            <th scope="col" className="pl-3 text-right font-semibold">
              DAYS WITH A POINT
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={row.id} className="text-xs">
              <th
                scope="row"
                className="max-w-72 truncate pr-3 text-left font-normal"
                title={`${row.vaultName} › ${row.serverName} › ${row.path}`}
              >
                {row.vaultName} › {row.serverName} › {row.path}
              </th>
              {row.days.map((outcome, i) => (
                <td
                  key={days[i]}
                  data-cell=""
                  tabIndex={r === 0 && i === 0 ? 0 : -1}
                  aria-label={outcome}
                  title={`${days[i]}: ${outcome}`}
                  className={`h-4 ${cell} p-0 ${CELL[outcome]} focus:outline-2 focus:outline-offset-1 focus:outline-portal-blue`}
                />
              ))}
              <td data-cell="" tabIndex={-1} className="pl-3 text-right">
                {row.share} %
              </td>
            </tr>
          ))}
        </tbody>
      </GridKeys>
    </div>
  );
}
