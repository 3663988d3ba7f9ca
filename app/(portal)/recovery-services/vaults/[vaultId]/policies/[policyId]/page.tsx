import { notFound } from 'next/navigation';
import { PolicyForm } from '@/components/policies/policy-form';
import { findPolicy } from '@/lib/policies/policies';
import { policyFormValues } from '@/lib/policies/view';
import { loadVaultTab } from '@/lib/vaults/page';

export default async function EditPolicyPage({ params }: { params: Promise<{ vaultId: string; policyId: string }> }) {
  const { vaultId, policyId } = await params;
  const { vault, svc, canChange } = await loadVaultTab(Promise.resolve({ vaultId }), 'policies');
  const policy = await findPolicy(svc.db, vault.id, { id: policyId });
  if (!policy) notFound();
  return (
    <>
      <h2 className="mb-4 text-2xl font-light">edit policy {policy.name}</h2>
      <PolicyForm vaultId={vault.id} policyId={policy.id} initial={policyFormValues(policy)} canChange={canChange} />
    </>
  );
}
