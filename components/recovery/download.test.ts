import { describe, expect, it } from 'vitest';
import { contentDisposition, downloadHeaders, readBatch, STREAM_PATH, streamUrl } from './download';

/** What a browser recovers from `filename*` (RFC 8187: UTF-8, percent-decoded). */
function decodedName(header: string): string {
  const value = /filename\*=UTF-8''([^;\s]*)/.exec(header)![1]!;
  return decodeURIComponent(value);
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
}

describe('contentDisposition', () => {
  it('keeps a plain name as it is', () => {
    expect(contentDisposition('report-7.txt')).toBe(
      `attachment; filename="report-7.txt"; filename*=UTF-8''report-7.txt`,
    );
  });

  it('encodes a name outside ASCII in UTF-8, with an ASCII fallback', () => {
    const name = 'Résumé 2024 – 日本語 😀.zip';
    const header = contentDisposition(name);
    expect(header).toBe(
      `attachment; filename="R_sum_ 2024 _ ___ _.zip"; filename*=UTF-8''R%C3%A9sum%C3%A9%202024%20%E2%80%93%20%E6%97%A5%E6%9C%AC%E8%AA%9E%20%F0%9F%98%80.zip`,
    );
    expect(decodedName(header)).toBe(name);
  });

  it("escapes what attr-char does not allow (quotes, apostrophes, parentheses, ';', '%') and nothing can break the header", () => {
    const name = `it's "a" (copy) 100%;x\\y*\r\nSet-Cookie: a=b`;
    const header = contentDisposition(name);
    expect(decodedName(header)).toBe(name);
    expect(header).not.toMatch(/[\r\n]/);
    const value = /filename\*=UTF-8''(.*)$/.exec(header)![1]!;
    expect(value).toMatch(/^[A-Za-z0-9!#$&+\-.^_`|~%]*$/);
    // The fallback is one quoted string: no quote or backslash inside it.
    expect(/filename="([^"]*)";/.exec(header)![1]).toBe("it's _a_ (copy) 100%;x_y*__Set-Cookie: a=b");
    // A browser's Headers accepts it.
    expect(new Headers(downloadHeaders(name)).get('content-disposition')).toBe(header);
  });
});

describe('downloadHeaders', () => {
  it('names a ZIP as one and anything else as bytes', () => {
    expect(downloadHeaders('reports.zip')['Content-Type']).toBe('application/zip');
    expect(downloadHeaders('photo.raw')['Content-Type']).toBe('application/octet-stream');
  });
});

describe('streamUrl', () => {
  it('stays under the worker’s scope whatever the name', () => {
    const url = new URL(streamUrl('0b5f', '../../api/x?y#z ü.txt'), 'https://portal.example');
    expect(url.pathname.startsWith(STREAM_PATH)).toBe(true);
    expect(url.pathname.split('/')).toHaveLength(5);
    expect(decodeURIComponent(url.pathname.split('/')[4]!)).toBe('../../api/x?y#z ü.txt');
    expect(url.search).toBe('');
    expect(url.hash).toBe('');
  });
});

describe('readBatch', () => {
  it('joins small chunks up to the batch size, copies them into a buffer of its own, then ends', async () => {
    const shared = new Uint8Array(100).map((_, i) => i);
    const reader = streamOf([
      shared.subarray(0, 10),
      new Uint8Array(0),
      shared.subarray(10, 30),
      shared.subarray(30, 100),
    ]).getReader();
    const first = (await readBatch(reader, 25))!;
    expect([...first]).toEqual([...shared.subarray(0, 30)]);
    expect(first.buffer).not.toBe(shared.buffer);
    expect(first.byteOffset).toBe(0);
    expect(first.buffer.byteLength).toBe(30);
    const second = (await readBatch(reader, 25))!;
    expect([...second]).toEqual([...shared.subarray(30, 100)]);
    expect(await readBatch(reader, 25)).toBeNull();
    expect(await readBatch(reader, 25)).toBeNull();
  });

  it('passes a read error on', async () => {
    const reader = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('The chunk does not open.'));
      },
    }).getReader();
    await expect(readBatch(reader)).rejects.toThrow('The chunk does not open.');
  });
});
