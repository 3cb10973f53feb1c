import { describe, expect, it } from 'vitest';
import { deviceWords } from './device-words';

describe('deviceWords', () => {
  const station = { id: 'station-8a1c4f7e-0000-4000-8000-000000000001', name: 'Dock door A' };
  it('names this device, says the kind of another, and never shows an id', () => {
    expect(deviceWords(station.id, station)).toBe('this station (Dock door A)');
    expect(deviceWords('pwa-1', { id: 'pwa-1', name: 'Crew phone' })).toBe('this phone (Crew phone)');
    expect(deviceWords('station-other', station)).toBe('another station');
    expect(deviceWords('pwa-9', station)).toBe('a crew phone');
    expect(deviceWords('8a1c4f7e-0000-4000-8000-000000000009', station)).toBeNull();
    expect(deviceWords(null, station)).toBeNull();
  });
});
