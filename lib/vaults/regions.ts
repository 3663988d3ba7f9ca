/** The fifteen regions of the contract: display name and location id. */
export const REGIONS = [
  { id: 'westus', name: 'West US' },
  { id: 'eastus', name: 'East US' },
  { id: 'eastus2', name: 'East US 2' },
  { id: 'centralus', name: 'Central US' },
  { id: 'northcentralus', name: 'North Central US' },
  { id: 'southcentralus', name: 'South Central US' },
  { id: 'northeurope', name: 'North Europe' },
  { id: 'westeurope', name: 'West Europe' },
  { id: 'eastasia', name: 'East Asia' },
  { id: 'southeastasia', name: 'Southeast Asia' },
  { id: 'japaneast', name: 'Japan East' },
  { id: 'japanwest', name: 'Japan West' },
  { id: 'brazilsouth', name: 'Brazil South' },
  { id: 'australiaeast', name: 'Australia East' },
  { id: 'australiasoutheast', name: 'Australia Southeast' },
] as const;

export type RegionId = (typeof REGIONS)[number]['id'];

export const REGION_IDS = REGIONS.map((r) => r.id) as [RegionId, ...RegionId[]];

export function regionName(id: string): string {
  return REGIONS.find((r) => r.id === id)?.name ?? id;
}
