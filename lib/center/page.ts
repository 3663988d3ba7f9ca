import 'server-only';
import { requireUser } from '@/lib/auth/guard';
import { getServices } from '@/lib/services';
import { centerScope } from './scope';

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

/**
 * What every Backup center page starts with: the signed-in user (the one guard), the services, the address's
 * parameters as single strings, and the scope its Subscription filter asks for.
 */
export async function loadCenterPage(searchParams: SearchParams) {
  const [user, svc, query] = await Promise.all([requireUser(), getServices(), searchParams]);
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  return { user, svc, text, ...centerScope(user, text('subscription')) };
}
