import type { CenterItem } from './queries';

/** A Backup center address with its parameters (empty ones left out). */
export function centerHref(path: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => !!e[1]));
  return query.size ? `${path}?${query}` : path;
}

/** How many times smaller the store is than the newest points' source data: "3.2×", or "—" before any backup. */
export function savingFactor(sourceBytes: number, storedBytes: number): string {
  if (storedBytes <= 0 || sourceBytes <= 0) return '—';
  const factor = sourceBytes / storedBytes;
  return `${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}×`;
}

export function itemRows(items: CenterItem[]) {
  return items.map((item) => ({
    id: item.id,
    vaultId: item.vaultId,
    vault: item.vaultName,
    item: item.path,
    server: item.serverName,
    status: item.health,
    lastGoodBackup: item.lastGoodBackup?.toUTCString() ?? 'None',
    reason: item.reason ?? (item.health === 'Inactive' ? 'No recovery point in the last 7 days.' : ''),
  }));
}
