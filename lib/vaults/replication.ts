/** Storage replication choices and texts; shared by the Configure page and the server. */
export type StorageReplication = 'GeoRedundant' | 'LocallyRedundant';

export const REPLICATION: Record<StorageReplication, { label: string; text: string }> = {
  GeoRedundant: {
    label: 'Geo-Redundant',
    text: 'Geo-redundant storage keeps six copies of your backups: three in the primary region and three in a secondary region hundreds of miles away, so they survive the loss of a whole region.',
  },
  LocallyRedundant: {
    label: 'Locally Redundant',
    text: 'Locally redundant storage keeps three copies of your backups in one facility of the primary region. It costs less, and protects against hardware failures but not against the loss of the facility.',
  },
};

export const replicationMessages = {
  refused: 'Storage replication cannot be changed: an item is registered to this vault.',
  locked: 'Storage replication is locked because an item is registered to this vault.',
  warning:
    'Choose before you register the first server: storage replication locks when the first item is registered to this vault, and cannot be changed after that.',
} as const;
