/**
 * A post-sign-in destination as a path of the portal, or '/'. Parsed with the URL parser against the portal's origin,
 * as the browser will parse it, never by string tests: `/\evil.example/`, `/\/evil.example/` and `/<TAB>/evil.example/`
 * all leave the origin when a browser follows them.
 */
export function sameOriginPath(value: string | null | undefined, origin: string): string {
  if (!value) return '/';
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return '/';
  }
  if (url.origin !== new URL(origin).origin) return '/';
  // `//host` as a path would be read as another origin by whoever follows it.
  return `${url.pathname.replace(/^\/+/, '/')}${url.search}${url.hash}`;
}
