import type { PortalUser } from '@/lib/auth/users';
import type { Scope } from './queries';

/**
 * The Backup center's scope for a user: every subscription they are in (any role: a Reader sees the figures), or
 * the one the Subscription filter names. A subscription that is not theirs is reported and ignored, never read.
 */
export function centerScope(
  user: PortalUser,
  subscription: string | undefined,
): { scope: Scope; chosen?: string; unknown: boolean } {
  const mine = user.subscriptions.find((s) => s.id === subscription);
  return {
    scope: { subscriptionIds: mine ? [mine.id] : user.subscriptions.map((s) => s.id) },
    chosen: mine?.id,
    unknown: subscription !== undefined && subscription !== '' && !mine,
  };
}
