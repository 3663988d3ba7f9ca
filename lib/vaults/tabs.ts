/** The Vault navigation's tabs, in the classic portal's order. */
export const VAULT_TABS = [
  { slug: 'quick-start', label: 'QUICK START' },
  { slug: 'dashboard', label: 'DASHBOARD' },
  { slug: 'registered-items', label: 'REGISTERED ITEMS' },
  { slug: 'protected-items', label: 'PROTECTED ITEMS' },
  { slug: 'policies', label: 'POLICIES' },
  { slug: 'jobs', label: 'JOBS' },
  { slug: 'alerts', label: 'ALERTS' },
  { slug: 'configure', label: 'CONFIGURE' },
] as const;

export type VaultTab = (typeof VAULT_TABS)[number]['slug'];
