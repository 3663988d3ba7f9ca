/**
 * QUICK START's "Download vault credentials". Each download issues a new credential and supersedes the previous
 * file, so it is a POST (never fetched by a prefetch, a crawler or another site's <img>), from a form whose button
 * looks and announces itself as the link the classic portal shows: role="link" keeps the contract's accessible
 * "link Download vault credentials", while the browser still submits the form, with its Origin and Sec-Fetch-Site.
 */
export function DownloadCredentials({ vaultId, disabled = false }: { vaultId: string; disabled?: boolean }) {
  return (
    <form method="post" action={`/api/vaults/${vaultId}/credentials`}>
      {/* biome-ignore lint/a11y/useSemanticElements: a link cannot POST; the contract names it a link. */}
      <button
        type="submit"
        role="link"
        disabled={disabled}
        className="cursor-pointer text-base text-portal-blue hover:underline disabled:cursor-default disabled:text-portal-muted disabled:no-underline"
      >
        Download vault credentials
      </button>
    </form>
  );
}
