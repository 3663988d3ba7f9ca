'use client';

import { useRouter } from 'next/navigation';
import { useActionState, useId, useState, useTransition } from 'react';
import { EditIcon, TrashIcon, UndoIcon } from '@/components/icons';
import { ModalDialog } from '@/components/modal-dialog';
import { ActionFeedback, SelectableRow } from '@/components/selectable-row';
import { CommandBarActions, CommandButton } from '@/components/shell/command-bar';
import { TableHead } from '@/components/table-head';
import type { ActionResult } from '@/lib/errors';
import { changeRoleAction, inviteAction, removeMemberAction, revokeInvitationAction } from '@/lib/people/actions';
import { ROLES } from '@/lib/people/validation';

type Role = (typeof ROLES)[number];
type MemberView = { userId: string; email: string; role: Role };
type InvitationView = { id: string; email: string; role: Role; invitedBy: string; expires: string };
export type SubscriptionPeopleView = {
  id: string;
  displayName: string;
  role: Role;
  members: MemberView[];
  invitations: InvitationView[];
};

type Selection =
  | { kind: 'member'; subscriptionId: string; userId: string }
  | { kind: 'invitation'; subscriptionId: string; invitationId: string };

const FIELD = 'border border-[#8a8a8a] bg-white px-2 py-1 text-sm';
const DIALOG = 'm-auto w-[30rem] bg-white p-6 shadow-2xl backdrop:bg-black/50';

/**
 * SETTINGS > USERS: each of the user's subscriptions with its members and pending invitations. Owners invite (the
 * link is shown once, here), and select a member for CHANGE ROLE or REMOVE, or an invitation for REVOKE; others see
 * the lists only.
 */
export function People({ you, subscriptions }: { you: string; subscriptions: SubscriptionPeopleView[] }) {
  const router = useRouter();
  const [selection, setSelection] = useState<Selection | null>(null);
  const [dialog, setDialog] = useState<'role' | 'remove' | null>(null);
  const [feedback, setFeedback] = useState<{ ok: boolean; text: string } | null>(null);
  const [pending, startTransition] = useTransition();
  const owned = subscriptions.filter((s) => s.role === 'Owner');

  const subscription = subscriptions.find((s) => s.id === selection?.subscriptionId);
  const member =
    selection?.kind === 'member' ? subscription?.members.find((m) => m.userId === selection.userId) : undefined;
  const invitation =
    selection?.kind === 'invitation'
      ? subscription?.invitations.find((i) => i.id === selection.invitationId)
      : undefined;

  function run(action: () => Promise<ActionResult>, done: string) {
    startTransition(async () => {
      const result = await action();
      setFeedback(result.ok ? { ok: true, text: done } : { ok: false, text: result.message ?? 'Refused.' });
      setDialog(null);
      if (result.ok) setSelection(null);
      router.refresh();
    });
  }

  return (
    <div className="space-y-10 px-8 pb-8">
      {owned.length > 0 && <InviteForm owned={owned} />}
      {subscriptions.length === 0 && (
        <p className="text-sm text-portal-muted">You are not a member of any subscription.</p>
      )}
      {subscriptions.map((s) => (
        <section key={s.id} aria-labelledby={`subscription-${s.id}`} className="max-w-4xl">
          <h2 id={`subscription-${s.id}`} className="text-xl font-light">
            {s.displayName}
          </h2>
          <p className="mb-3 text-sm text-portal-muted">Your role: {s.role}</p>
          <table aria-label={`Members of ${s.displayName}`} className="w-full border-collapse text-sm">
            <TableHead columns={s.role === 'Owner' ? [null, 'EMAIL', 'ROLE'] : ['EMAIL', 'ROLE']} />
            <tbody>
              {s.members.map((m) => {
                const cells = (
                  <>
                    <td className="py-2.5 pr-4">
                      {m.email}
                      {m.userId === you && <span className="text-portal-muted"> (you)</span>}
                    </td>
                    <td className="py-2.5 pr-4">{m.role}</td>
                  </>
                );
                return (
                  <SelectableRow
                    key={m.userId}
                    group="people"
                    selectable={s.role === 'Owner'}
                    label={`Select ${m.email} in ${s.displayName}`}
                    selected={
                      selection?.kind === 'member' && selection.userId === m.userId && selection.subscriptionId === s.id
                    }
                    onSelect={() => setSelection({ kind: 'member', subscriptionId: s.id, userId: m.userId })}
                  >
                    {cells}
                  </SelectableRow>
                );
              })}
            </tbody>
          </table>
          <h3 className="mt-6 mb-2 text-base font-light">Pending invitations</h3>
          {s.invitations.length === 0 ? (
            <p className="text-sm text-portal-muted">No pending invitations.</p>
          ) : (
            <table aria-label={`Pending invitations of ${s.displayName}`} className="w-full border-collapse text-sm">
              <TableHead columns={[...(s.role === 'Owner' ? [null] : []), 'EMAIL', 'ROLE', 'INVITED BY', 'EXPIRES']} />
              <tbody>
                {s.invitations.map((i) => {
                  const cells = (
                    <>
                      <td className="py-2.5 pr-4">{i.email}</td>
                      <td className="py-2.5 pr-4">{i.role}</td>
                      <td className="py-2.5 pr-4">{i.invitedBy}</td>
                      <td className="py-2.5 pr-4">{i.expires}</td>
                    </>
                  );
                  return (
                    <SelectableRow
                      key={i.id}
                      group="people"
                      selectable={s.role === 'Owner'}
                      label={`Select the invitation of ${i.email} to ${s.displayName}`}
                      selected={selection?.kind === 'invitation' && selection.invitationId === i.id}
                      onSelect={() => setSelection({ kind: 'invitation', subscriptionId: s.id, invitationId: i.id })}
                    >
                      {cells}
                    </SelectableRow>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
      ))}
      <ActionFeedback feedback={feedback} />
      {owned.length > 0 && (
        <CommandBarActions>
          <CommandButton
            label="CHANGE ROLE"
            icon={EditIcon}
            disabled={!member || pending}
            onClick={() => setDialog('role')}
          />
          <CommandButton
            label="REMOVE"
            icon={TrashIcon}
            disabled={!member || pending}
            onClick={() => setDialog('remove')}
          />
          <CommandButton
            label="REVOKE"
            icon={UndoIcon}
            disabled={!invitation || pending}
            onClick={() =>
              invitation &&
              subscription &&
              run(
                () => revokeInvitationAction(subscription.id, invitation.id),
                `The invitation of ${invitation.email} was revoked.`,
              )
            }
          />
        </CommandBarActions>
      )}
      {dialog === 'role' && member && subscription && (
        <ChangeRoleDialog
          member={member}
          subscription={subscription.displayName}
          pending={pending}
          onClose={() => setDialog(null)}
          onSave={(role) =>
            run(
              () => changeRoleAction(subscription.id, member.userId, role),
              `${member.email} is now ${role === 'Owner' ? 'an' : 'a'} ${role} of ${subscription.displayName}.`,
            )
          }
        />
      )}
      {dialog === 'remove' && member && subscription && (
        <ModalDialog label="Remove member" role="alertdialog" onClose={() => setDialog(null)} className={DIALOG}>
          <h2 className="mb-3 text-2xl font-light">Remove {member.email}</h2>
          <p className="mb-6 text-sm">
            {member.email} loses access to {subscription.displayName} and its backup vaults. Their account stays.
          </p>
          <div className="flex justify-end gap-2">
            <button
              type="button"
              onClick={() => setDialog(null)}
              className="border border-[#8a8a8a] px-4 py-1.5 text-sm hover:bg-[#f3f3f3]"
            >
              Cancel
            </button>
            <button
              type="button"
              disabled={pending}
              onClick={() =>
                run(
                  () => removeMemberAction(subscription.id, member.userId),
                  `${member.email} was removed from ${subscription.displayName}.`,
                )
              }
              className="bg-portal-red px-4 py-1.5 text-sm text-white hover:bg-[#a50e1a] disabled:opacity-50"
            >
              Remove
            </button>
          </div>
        </ModalDialog>
      )}
    </div>
  );
}

function ChangeRoleDialog({
  member,
  subscription,
  pending,
  onClose,
  onSave,
}: {
  member: MemberView;
  subscription: string;
  pending: boolean;
  onClose: () => void;
  onSave: (role: Role) => void;
}) {
  const [role, setRole] = useState<Role>(member.role);
  return (
    <ModalDialog label="Change role" onClose={onClose} className={DIALOG}>
      <h2 className="mb-3 text-2xl font-light">Change role</h2>
      <p className="mb-4 text-sm">
        The role of {member.email} in {subscription}:
      </p>
      <label className="mb-6 flex items-center gap-3 text-sm">
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as Role)} className={FIELD}>
          {ROLES.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <div className="flex justify-end gap-2">
        <button
          type="button"
          onClick={onClose}
          className="border border-[#8a8a8a] px-4 py-1.5 text-sm hover:bg-[#f3f3f3]"
        >
          Cancel
        </button>
        <button
          type="button"
          disabled={pending}
          onClick={() => onSave(role)}
          className="bg-portal-blue px-4 py-1.5 text-sm text-white hover:brightness-110 disabled:opacity-50"
        >
          Save
        </button>
      </div>
    </ModalDialog>
  );
}

/** Invite: email, role and (for an Owner of several) the subscription; the link comes back once, to copy. */
function InviteForm({ owned }: { owned: { id: string; displayName: string }[] }) {
  const [state, formAction, pending] = useActionState(inviteAction, null);
  const linkId = useId();
  const errors = state && !state.ok ? (state.fieldErrors ?? {}) : {};
  return (
    <section aria-labelledby="invite-title" className="max-w-4xl">
      <h2 id="invite-title" className="mb-3 text-xl font-light">
        Invite a person
      </h2>
      <form action={formAction} noValidate className="flex flex-wrap items-start gap-4 text-sm">
        <label className="flex flex-col gap-1">
          Email
          <input
            name="email"
            type="email"
            required
            autoComplete="off"
            aria-invalid={errors.email ? true : undefined}
            className={`${FIELD} w-72`}
          />
          {errors.email && <span className="text-portal-red">{errors.email}</span>}
        </label>
        <label className="flex flex-col gap-1">
          Role
          <select name="role" defaultValue="Reader" className={FIELD}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
          {errors.role && <span className="text-portal-red">{errors.role}</span>}
        </label>
        {owned.length > 1 ? (
          <label className="flex flex-col gap-1">
            Subscription
            <select name="subscriptionId" className={FIELD}>
              {owned.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.displayName}
                </option>
              ))}
            </select>
            {errors.subscriptionId && <span className="text-portal-red">{errors.subscriptionId}</span>}
          </label>
        ) : (
          <input type="hidden" name="subscriptionId" value={owned[0]!.id} />
        )}
        <button
          type="submit"
          disabled={pending}
          className="mt-5 bg-portal-blue px-4 py-1.5 text-white hover:brightness-110 disabled:opacity-50"
        >
          Invite
        </button>
      </form>
      {state && !state.ok && state.message && (
        <p role="alert" className="mt-3 text-sm text-portal-red">
          {state.message}
        </p>
      )}
      {state?.ok && (
        <div className="mt-4 border-l-4 border-portal-blue bg-[#eef6fc] px-4 py-3">
          <label htmlFor={linkId} className="block text-sm font-semibold">
            Invitation link
          </label>
          <input
            id={linkId}
            readOnly
            value={state.data.link}
            onFocus={(e) => e.currentTarget.select()}
            className="mt-1 w-full border border-portal-line bg-white px-2 py-1 font-mono text-sm"
          />
          <p className="mt-2 text-sm">
            Copy this link now and send it to the person: it is not shown again. It works once, for 7 days.
          </p>
        </div>
      )}
    </section>
  );
}
