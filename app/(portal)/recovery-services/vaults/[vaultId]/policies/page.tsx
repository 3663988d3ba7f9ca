import { PoliciesTable } from '@/components/policies/policies-table';
import { listPolicies } from '@/lib/policies/policies';
import { policyRowView } from '@/lib/policies/view';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function PoliciesPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, svc, canChange } = await loadVaultTab(params, 'policies');
  const policies = await listPolicies(svc.db, vault.id);
  return <PoliciesTable vaultId={vault.id} canChange={canChange} policies={policies.map(policyRowView)} />;
}
