import { describe, expect, it } from 'vitest';
import { sameOriginPath } from './redirects';

const ORIGIN = 'http://localhost:3000';

describe('sameOriginPath', () => {
  it('keeps paths of the portal with their query and fragment', () => {
    expect(sameOriginPath('/recovery-services?after=x#top', ORIGIN)).toBe('/recovery-services?after=x#top');
    expect(sameOriginPath('http://localhost:3000/all-items', ORIGIN)).toBe('/all-items');
    expect(sameOriginPath('recovery-services', ORIGIN)).toBe('/recovery-services');
  });

  it('sends anything that would leave the portal home', () => {
    for (const evil of [
      '/\\evil.example/',
      '/\\/evil.example/',
      '/\t/evil.example/',
      '//evil.example/',
      '///evil.example/',
      'https://evil.example/',
      'http://localhost:3001/',
      'javascript:alert(1)',
      'http://localhost:3000//evil.example/',
    ]) {
      const path = sameOriginPath(evil, ORIGIN);
      expect(new URL(path, 'http://portal.test').origin, evil).toBe('http://portal.test');
      expect(path.startsWith('//'), evil).toBe(false);
    }
    expect(sameOriginPath(undefined, ORIGIN)).toBe('/');
    expect(sameOriginPath('http://[', ORIGIN)).toBe('/');
  });
});
