import type { SubscriptionAccess } from '@/lib/auth/users';
import type { ArmContext } from './context';

/** Microsoft.Resources' Subscription shape, so scripts can find the ids of the caller's subscriptions. */
function subscriptionResource(s: SubscriptionAccess) {
  return { id: `/subscriptions/${s.id}`, subscriptionId: s.id, displayName: s.displayName, state: 'Enabled' };
}

export async function listSubscriptions(ctx: ArmContext): Promise<Response> {
  return Response.json({ value: ctx.user.subscriptions.map(subscriptionResource) });
}

export async function getSubscription(ctx: ArmContext): Promise<Response> {
  return Response.json(subscriptionResource(ctx.subscription!));
}
