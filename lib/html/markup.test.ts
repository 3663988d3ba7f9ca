import { describe, expect, it } from 'vitest';
import { escapeHtml, optionsHtml } from './markup';

describe('escapeHtml', () => {
  it('escapes what could end a text or an attribute value, and nothing else', () => {
    expect(escapeHtml(`<script>alert("x" & 'y')</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;',
    );
    expect(escapeHtml('vault-01 Ünïcode é')).toBe('vault-01 Ünïcode é');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});

describe('optionsHtml', () => {
  it('writes the options in order, marks the selected one, and escapes values and labels', () => {
    const options = [
      { value: '', label: 'All subscriptions' },
      { value: 'a"b', label: '<b>Bench</b>' },
    ];
    expect(optionsHtml(options, 'a"b')).toBe(
      "<option value=''>All subscriptions<option value='a&quot;b' selected>&lt;b&gt;Bench&lt;/b&gt;",
    );
    expect(optionsHtml(options, 'unknown')).not.toContain('selected');
  });
});
