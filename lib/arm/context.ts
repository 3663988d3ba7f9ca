import type { NextRequest } from 'next/server';
import type { PortalUser, SubscriptionAccess } from '@/lib/auth/users';
import { PortalError } from '@/lib/errors';
import type { Services } from '@/lib/services';
import type { VaultAccessLevel } from '@/lib/vaults/access';

/** What an ARM handler gets: the caller (already authenticated), the path's names, and the request's parts. */
export type ArmContext = {
  svc: Services;
  user: PortalUser;
  request: NextRequest;
  /** Named segments of the matched route, e.g. subscriptionId, resourceGroup, vaultName. */
  params: Record<string, string>;
  /** The subscription of the path, checked to be one of the caller's; undefined for paths outside subscriptions. */
  subscription: SubscriptionAccess | undefined;
  /** What the route's method needs of the caller's role (checked on the subscription; vaults re-check it). */
  level: VaultAccessLevel;
  /** The portal's base URL as the client reached it, for absolute links (nextLink, Azure-AsyncOperation). */
  origin: string;
  /** The request's path as sent (segments re-encoded), for links back to the same collection. */
  path: string;
  apiVersion: string;
};

export type ArmHandler = (ctx: ArmContext) => Promise<Response>;

/** The request's JSON body; an empty body is an empty object. Bad JSON is the client's error, never a 500. */
export async function jsonBody(ctx: ArmContext): Promise<unknown> {
  const text = await ctx.request.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new PortalError('invalid_request_content', 'The request content is not valid JSON.');
  }
}

export function subscriptionIdOf(ctx: ArmContext): string {
  if (!ctx.subscription) throw new Error('route without a subscription');
  return ctx.subscription.id;
}
