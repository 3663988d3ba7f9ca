import 'server-only';
import { sql } from 'drizzle-orm';
import type { Database } from '@/db/client';

/**
 * A place where a chain does not hold: entries `from`..`to` (one entry when equal) were `changed` (an entry's
 * content no longer gives its hash, or the next entry, or the chain's head, recorded another hash for it), are
 * `missing` (numbers absent from 1 up to the head's), or are `unrecorded` (beyond the head: not appended through the
 * database's trigger).
 */
export type ChainBreak = { chain: string; kind: 'changed' | 'missing' | 'unrecorded'; from: number; to: number };

export type ChainCheck = { chains: number; entries: number; breaks: ChainBreak[] };

/** How many breaks a check reports at most (the first of each chain come first). */
const MAX_BREAKS = 20;

/**
 * Recomputes the given chains in the database: each entry's hash from its fields and the previous entry's hash
 * (operation_log_hash, the trigger's own function), each link against the previous entry's stored hash along (chain,
 * seq), the primary key, the numbers 1, 2, 3... without gaps, and the head's number and hash against the last entry. A
 * chain that has a head but lost every entry shows as missing from 1. Two statements at once: the hashes (the costly
 * part, which PostgreSQL spreads over parallel workers) need no order; the links, numbers and heads need no hashing.
 */
export async function checkChains(db: Database, chains: string[]): Promise<ChainCheck> {
  if (chains.length === 0) return { chains: 0, entries: 0, breaks: [] };
  const list = sql`${sql.param(chains)}::text[]`;
  const [hashes, links] = await Promise.all([
    db.execute<{ chain: string; seq: string }>(sql`
      select l.chain, l.seq from operation_logs l
      where l.chain = any(${list}) and operation_log_hash(l) <> l.hash
      order by l.chain, l.seq limit ${MAX_BREAKS}
    `),
    db.execute<{ chains: number; entries: number; breaks: ChainBreak[] }>(sql`
      with e as (
        select l.chain, l.seq, l.hash, l.prev_hash, lag(l.seq) over w as prev_seq, lag(l.hash) over w as prev_stored
        from operation_logs l
        where l.chain = any(${list})
        window w as (partition by l.chain order by l.seq)
      ),
      last as (
        select distinct on (chain) chain, seq, hash from e order by chain, seq desc
      ),
      heads as (
        select chain, seq, hash from operation_log_heads where chain = any(${list})
      ),
      breaks as (
        select chain, 'missing' as kind, coalesce(prev_seq, 0) + 1 as "from", seq - 1 as "to"
          from e where seq <> coalesce(prev_seq, 0) + 1
        union
        -- The link: an entry whose predecessor is there but holds another hash than the one recorded here. The
        -- predecessor was rewritten with a recomputed hash (or, for the first entry, the entry itself was).
        select chain, 'changed', greatest(seq - 1, 1), greatest(seq - 1, 1)
          from e where seq = coalesce(prev_seq, 0) + 1 and prev_hash <> coalesce(prev_stored, repeat('0', 64))
        union
        select h.chain, 'missing', coalesce(l.seq, 0) + 1, h.seq
          from heads h left join last l using (chain) where h.seq > coalesce(l.seq, 0)
        union
        select h.chain, 'changed', h.seq, h.seq
          from heads h join last l using (chain) where h.seq = l.seq and h.hash <> l.hash
        union
        select l.chain, 'unrecorded', coalesce(h.seq, 0) + 1, l.seq
          from last l left join heads h using (chain) where l.seq > coalesce(h.seq, 0)
      )
      select (select count(distinct chain)::int from e) as chains,
             (select count(*)::int from e) as entries,
             (select coalesce(json_agg(b), '[]') from (
                select chain, kind, "from", "to" from breaks order by chain, "from", kind limit ${MAX_BREAKS}
              ) b) as breaks
    `),
  ]);
  const found = links.rows[0]!;
  const breaks = [
    ...found.breaks,
    ...hashes.rows.map((r) => ({ chain: r.chain, kind: 'changed' as const, from: Number(r.seq), to: Number(r.seq) })),
  ];
  // One break per place (an entry both rewritten and relinked is one change), in chain order.
  const unique = new Map(breaks.map((b) => [`${b.chain} ${b.kind} ${b.from} ${b.to}`, b]));
  return {
    chains: found.chains,
    entries: found.entries,
    breaks: [...unique.values()]
      .sort((a, b) => a.chain.localeCompare(b.chain) || a.from - b.from || a.kind.localeCompare(b.kind))
      .slice(0, MAX_BREAKS),
  };
}

/** A break in words, for the page: which chain (as `chainName` names it), which entries, and what happened to them. */
export function describeBreak(b: ChainBreak, chainName: string): string {
  const entries = b.from === b.to ? `entry ${b.from}` : `entries ${b.from} to ${b.to}`;
  const one = b.from === b.to;
  const what = {
    changed: `${one ? 'was' : 'were'} changed`,
    missing: `${one ? 'is' : 'are'} missing (removed)`,
    unrecorded: `${one ? 'was' : 'were'} added outside the log (past the chain's recorded end)`,
  }[b.kind];
  return `${chainName}: ${entries} ${what}.`;
}
