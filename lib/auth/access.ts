import type { PortalUser, SubscriptionAccess } from './users';

export function subscriptionOf(user: PortalUser, subscriptionId: string): SubscriptionAccess | undefined {
  return user.subscriptions.find((s) => s.id === subscriptionId);
}

export const messages = {
  readOnly: 'You have read access to this subscription: ask an owner to make this change.',
  ownersOnly: 'Only an owner of this subscription can make this change.',
  vaultNotFound: 'The backup vault was not found.',
  subscriptionNotFound: 'The subscription was not found.',
} as const;
