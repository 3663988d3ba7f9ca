'use client';

import { useRouter } from 'next/navigation';
import { useId, useState, useTransition } from 'react';
import { PlusIcon, TrashIcon } from '@/components/icons';
import { SelectableRow } from '@/components/selectable-row';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { TableHead } from '@/components/table-head';
import { createTokenAction, revokeTokenAction } from '@/lib/tokens/actions';

export type TokenView = { id: string; prefix: string; created: string; lastUsed: string };

/** The list of personal access tokens with CREATE TOKEN and REVOKE; a new token's value is shown once, here only. */
export function Tokens({ tokens }: { tokens: TokenView[] }) {
  const router = useRouter();
  const tokenId = useId();
  const [created, setCreated] = useState<string | null>(null);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [pending, startTransition] = useTransition();
  const selected = tokens.find((t) => t.id === selectedId);

  function create() {
    startTransition(async () => {
      const result = await createTokenAction();
      setCreated(result.ok ? result.data.token : null);
      setError(result.ok ? null : (result.message ?? null));
      router.refresh();
    });
  }

  function revoke() {
    if (!selected) return;
    startTransition(async () => {
      const result = await revokeTokenAction(selected.id);
      setError(result.ok ? null : (result.message ?? null));
      setSelectedId(null);
      router.refresh();
    });
  }

  return (
    <section className="max-w-4xl">
      {created && (
        <div className="mb-6 border-l-4 border-portal-blue bg-[#eef6fc] px-4 py-3">
          <label htmlFor={tokenId} className="block text-sm font-semibold">
            Token
          </label>
          <input
            id={tokenId}
            readOnly
            value={created}
            onFocus={(e) => e.currentTarget.select()}
            className="mt-1 w-full border border-portal-line bg-white px-2 py-1 font-mono text-sm"
          />
          <p className="mt-2 text-sm">
            Copy this token now: it is not shown again. Send it as <code>Authorization: Bearer TOKEN</code>.
          </p>
        </div>
      )}
      {tokens.length === 0 ? (
        <p className="text-sm text-portal-muted">
          You have no personal access tokens. Select CREATE TOKEN to make one.
        </p>
      ) : (
        <table className="w-full border-collapse text-sm">
          <TableHead columns={[null, 'TOKEN', 'CREATED', 'LAST USED']} />
          <tbody>
            {tokens.map((token) => (
              <SelectableRow
                key={token.id}
                group="token"
                label={`Select ${token.prefix}…`}
                selected={token.id === selectedId}
                onSelect={() => setSelectedId(token.id)}
              >
                <td className="py-2.5 pr-4 font-mono">{token.prefix}…</td>
                <td className="py-2.5 pr-4">{token.created}</td>
                <td className="py-2.5 pr-4">{token.lastUsed}</td>
              </SelectableRow>
            ))}
          </tbody>
        </table>
      )}
      <p role="alert" className="mt-3 min-h-5 text-sm text-portal-red">
        {error}
      </p>
      <CommandBarActions>
        <CommandButton label="CREATE TOKEN" icon={PlusIcon} disabled={pending} onClick={create} />
        <CommandButton label="REVOKE" icon={TrashIcon} disabled={!selected || pending} onClick={revoke} />
      </CommandBarActions>
    </section>
  );
}
