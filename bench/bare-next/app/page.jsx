import { connection } from 'next/server';

const ROWS = 50;

/** One dynamic page rendering a 50-row table: rendered on every request, like the portal's pages, with no data source. */
export default async function Page() {
  await connection();
  const now = Date.now();
  const rows = Array.from({ length: ROWS }, (_, i) => ({
    id: `row-${i}`,
    name: `vault-${(now + i).toString(36)}`,
    region: i % 2 ? 'westus' : 'eastus',
    status: 'Active',
  }));
  return (
    <main>
      <h1>Vaults</h1>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Region</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id}>
              <td>
                <a href={`/vaults/${row.id}`}>{row.name}</a>
              </td>
              <td>{row.region}</td>
              <td>{row.status}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
