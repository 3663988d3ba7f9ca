import { PolicyForm } from '@/components/policies/policy-form';
import { policyFormValues } from '@/lib/policies/view';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function AddPolicyPage({ params }: { params: Promise<{ vaultId: string }> }) {
  const { vault, canChange } = await loadVaultTab(params, 'policies');
  return (
    <>
      <h2 className="mb-4 text-2xl font-light">add a policy</h2>
      <PolicyForm vaultId={vault.id} initial={policyFormValues()} canChange={canChange} />
    </>
  );
}
