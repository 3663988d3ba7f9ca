'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useActionState, useEffect, useId, useState } from 'react';
import { CheckIcon, CloseIcon, PlusIcon } from '@/components/icons';
import { ModalDialog } from '@/components/modal-dialog';
import { messages as accessMessages } from '@/lib/auth/access';
import type { ActionResult } from '@/lib/errors';
import { createVaultAction } from '@/lib/vaults/actions';
import type { CreatedVault } from '@/lib/vaults/create';
import { REGIONS } from '@/lib/vaults/regions';
import { checkVaultName, MAX_VAULTS_PER_SUBSCRIPTION, messages } from '@/lib/vaults/rules';
import { OPERATIONS_KEY } from './notifications';

/** canCreate: the user's role there may create vaults (a Reader's may not). */
export type NewDialogSubscription = { id: string; displayName: string; canCreate: boolean };

const PATH = ['DATA SERVICES', 'RECOVERY SERVICES', 'BACKUP VAULT', 'QUICK CREATE'] as const;
export const VAULT_NAMES_KEY = ['vault-names'] as const;

/** What the dialog asks for when it opens (app/api/vault-names). */
export type NewDialogData = {
  /** The user's subscriptions, in the order of the page's. */
  choices: NewDialogSubscription[];
  /** The vault names per subscription, for checking a name before asking the server. */
  subscriptions: Record<string, string[]>;
};

/**
 * The user's subscriptions and their vault names, fetched when the dialog opens rather than sent with every page
 * (the page's payload carried the subscriptions twice, once for the Subscription filter and once for this dialog).
 */
async function fetchNewDialogData(): Promise<NewDialogData> {
  const response = await fetch('/api/vault-names', { cache: 'no-store' });
  if (!response.ok) throw new Error(`vault names answered ${response.status}`);
  return (await response.json()) as NewDialogData;
}

export function NewButton() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        aria-haspopup="dialog"
        className="flex items-center gap-2 bg-[#404040] px-6 text-sm font-semibold tracking-wide hover:bg-[#505050]"
      >
        <PlusIcon width={22} height={22} strokeWidth={2} />
        NEW
      </button>
      {open && <NewDialog onClose={() => setOpen(false)} />}
    </>
  );
}

function NewDialog({ onClose }: { onClose: () => void }) {
  const [depth, setDepth] = useState(0);
  // Asked for when the dialog opens (not on every page): ready by the time QUICK CREATE is chosen.
  const { data, isError } = useQuery({ queryKey: VAULT_NAMES_KEY, queryFn: fetchNewDialogData, staleTime: 0 });

  return (
    <ModalDialog
      label="New"
      onClose={onClose}
      className="fixed inset-x-0 top-auto bottom-16 m-0 flex h-[22rem] max-h-none w-full max-w-none bg-[#3b3b3b] text-white shadow-[0_-8px_24px_rgba(0,0,0,0.4)] outline-none backdrop:bg-transparent"
    >
      {PATH.map((label, index) =>
        index < 3 ? (
          <div
            key={label}
            className={`w-56 shrink-0 py-4 ${index === 0 ? 'bg-[#2b2b2b]' : 'border-l border-white/10'}`}
          >
            {index <= depth && (
              <button
                type="button"
                onClick={() => setDepth(index + 1)}
                aria-pressed={depth > index}
                className={`block w-full px-5 py-2 text-left text-xs font-semibold tracking-wide ${
                  depth > index ? 'bg-portal-blue' : 'hover:bg-white/10'
                }`}
              >
                {label}
              </button>
            )}
          </div>
        ) : null,
      )}
      <div className="min-w-0 flex-1 border-l border-white/10 py-4">
        {depth >= 3 && (
          <div className="flex h-full">
            <div className="w-44 shrink-0">
              <button
                type="button"
                onClick={() => setDepth(4)}
                aria-pressed={depth > 3}
                className={`block w-full px-5 py-2 text-left text-xs font-semibold tracking-wide ${
                  depth > 3 ? 'bg-portal-blue' : 'hover:bg-white/10'
                }`}
              >
                {PATH[3]}
              </button>
            </div>
            {depth >= 4 && (
              <QuickCreateForm
                subscriptions={data?.choices}
                vaultNames={data?.subscriptions}
                failed={isError && !data}
                onCreated={onClose}
              />
            )}
          </div>
        )}
      </div>
      <button
        type="button"
        onClick={onClose}
        aria-label="Close"
        className="absolute top-2 right-2 flex h-8 w-8 items-center justify-center hover:bg-white/10"
      >
        <CloseIcon />
      </button>
    </ModalDialog>
  );
}

function QuickCreateForm({
  subscriptions: all,
  vaultNames,
  failed,
  onCreated,
}: {
  /** Unknown until fetched: the form can be filled in meanwhile, and sent once they are known. */
  subscriptions: NewDialogSubscription[] | undefined;
  vaultNames: Record<string, string[]> | undefined;
  /** Fetching them failed (after a retry). */
  failed: boolean;
  onCreated: () => void;
}) {
  const loading = all === undefined;
  const subscriptions = (all ?? []).filter((s) => s.canCreate);
  const readOnly = !loading && subscriptions.length === 0;
  const router = useRouter();
  const queryClient = useQueryClient();
  const ids = { name: useId(), region: useId(), subscription: useId(), nameError: useId() };
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const [chosenId, setSubscriptionId] = useState<string>();
  const subscriptionId = chosenId ?? subscriptions[0]?.id ?? '';
  const [state, formAction, pending] = useActionState<ActionResult<CreatedVault> | null, FormData>(
    createVaultAction,
    null,
  );

  useEffect(() => {
    if (state?.ok) {
      void queryClient.invalidateQueries({ queryKey: OPERATIONS_KEY });
      void queryClient.invalidateQueries({ queryKey: VAULT_NAMES_KEY });
      router.refresh();
      onCreated();
    }
  }, [state, queryClient, router, onCreated]);

  const taken = vaultNames?.[subscriptionId];
  const full = (taken?.length ?? 0) >= MAX_VAULTS_PER_SUBSCRIPTION;
  const browserError = touched ? checkVaultName(name, taken) : undefined;
  const serverFailure = state && !state.ok ? state : undefined;
  // The server's word stands until the user changes the name again.
  const nameError = browserError ?? (touched ? undefined : serverFailure?.fieldErrors?.name);
  const formError = failed
    ? 'Your subscriptions could not be loaded: close this and select NEW again.'
    : readOnly
      ? accessMessages.readOnly
      : full
        ? messages.limit
        : (serverFailure?.message ?? serverFailure?.fieldErrors?.region);

  return (
    <form
      onSubmit={(event) => {
        if (checkVaultName(name, taken)) {
          event.preventDefault();
          setTouched(true);
        }
      }}
      action={(form) => {
        setTouched(false);
        formAction(form);
      }}
      className="flex min-w-0 flex-1 flex-col gap-4 px-6"
      noValidate
    >
      <h2 className="text-lg font-light">Quick create a backup vault</h2>
      <div>
        <label htmlFor={ids.name} className="mb-1 block text-xs text-[#c8c8c8]">
          Name
        </label>
        <input
          id={ids.name}
          name="name"
          value={name}
          onChange={(event) => {
            setName(event.target.value);
            setTouched(true);
          }}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={ids.nameError}
          autoComplete="off"
          className="w-80 border border-[#8a8a8a] bg-white px-2 py-1.5 text-black outline-none focus:ring-2 focus:ring-portal-blue aria-invalid:border-portal-red"
        />
        <p id={ids.nameError} role="alert" className="mt-1 max-w-xl text-xs text-[#ff99a4]">
          {nameError}
        </p>
      </div>
      <div className="flex gap-6">
        <div>
          <label htmlFor={ids.region} className="mb-1 block text-xs text-[#c8c8c8]">
            Region
          </label>
          <select
            id={ids.region}
            name="region"
            defaultValue="westus"
            className="w-56 border border-[#8a8a8a] bg-white px-2 py-1.5 text-black"
          >
            {REGIONS.map((region) => (
              <option key={region.id} value={region.id}>
                {region.name}
              </option>
            ))}
          </select>
        </div>
        {subscriptions.length > 1 && (
          <div>
            <label htmlFor={ids.subscription} className="mb-1 block text-xs text-[#c8c8c8]">
              Subscription
            </label>
            <select
              id={ids.subscription}
              name="subscriptionId"
              value={subscriptionId}
              onChange={(event) => setSubscriptionId(event.target.value)}
              className="w-56 border border-[#8a8a8a] bg-white px-2 py-1.5 text-black"
            >
              {subscriptions.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.displayName}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <p role="alert" className="text-xs text-[#ff99a4]">
        {formError}
      </p>
      <button
        type="submit"
        disabled={pending || loading || full || readOnly}
        className="flex w-fit items-center gap-2 bg-portal-blue px-4 py-2 text-xs font-semibold tracking-wide hover:bg-portal-blue-dark disabled:opacity-50"
      >
        <CheckIcon width={16} height={16} strokeWidth={2.5} />
        CREATE VAULT
      </button>
    </form>
  );
}
