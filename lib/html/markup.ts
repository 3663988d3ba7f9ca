/**
 * Markup built as one string, for long server-rendered lists that nothing on the page changes in the browser (issue
 * 13). React sends a server component's elements twice, as the RSC payload and as HTML, and the browser parses the
 * payload again to hydrate; a `dangerouslySetInnerHTML` string is one value in the payload and written as it is. Every
 * text and attribute value goes through `escapeHtml`: nothing a user typed is ever markup.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text or a double-quoted attribute value, safe in HTML: & < > " ' escaped. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * `<option>`s for a `<select>`, the one whose value is `selected` marked so (none when it names no option). Written
 * short (single-quoted values, no `</option>`, which HTML lets a select leave out): the RSC payload carries the
 * string a second time with each `<` and `>` as a six-character escape.
 */
export function optionsHtml(options: Array<{ value: string; label: string }>, selected?: string): string {
  return options
    .map(
      ({ value, label }) =>
        `<option value='${escapeHtml(value)}'${value === selected ? ' selected' : ''}>${escapeHtml(label)}`,
    )
    .join('');
}
