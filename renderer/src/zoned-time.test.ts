import { describe, expect, it } from 'vitest';
import { fromLocalInput, knownZone, toLocalInput, zoneShortName } from './zoned-time';

describe('a gig’s times in its venue’s wall-clock time', () => {
  it('reads a datetime-local value in the venue’s zone, whatever the device’s zone', () => {
    expect(fromLocalInput('2027-07-01T20:00', 'Europe/Lisbon')).toBe('2027-07-01T20:00:00+01:00');
    expect(fromLocalInput('2027-01-15T09:30', 'America/New_York')).toBe('2027-01-15T09:30:00-05:00');
    expect(fromLocalInput('2027-07-01T20:00', 'Asia/Kolkata')).toBe('2027-07-01T20:00:00+05:30');
    expect(Date.parse(fromLocalInput('2027-07-01T20:00', 'Europe/Berlin') ?? '')).toBe(Date.parse('2027-07-01T18:00:00Z'));
    expect(fromLocalInput('', 'Europe/Berlin')).toBeNull();
    expect(fromLocalInput('not a time', 'Europe/Berlin')).toBeNull();
  });

  it('writes an instant back as the venue’s wall-clock time', () => {
    expect(toLocalInput('2027-07-01T18:00:00Z', 'Europe/Berlin')).toBe('2027-07-01T20:00');
    expect(toLocalInput('2027-07-01T18:00:00.000+00:00', 'America/Los_Angeles')).toBe('2027-07-01T11:00');
    expect(toLocalInput(null, 'Europe/Berlin')).toBe('');
    for (const value of ['2027-03-10T23:15', '2027-10-31T12:00', '2028-02-29T00:00'])
      expect(toLocalInput(fromLocalInput(value, 'Australia/Adelaide'), 'Australia/Adelaide')).toBe(value);
  });

  it('takes the first of a repeated hour and lands after a skipped one', () => {
    // Berlin, 31 Oct 2027: 02:30 happens twice (CEST, then CET); 28 Mar 2027: 02:30 never happens.
    expect(fromLocalInput('2027-10-31T02:30', 'Europe/Berlin')).toBe('2027-10-31T02:30:00+02:00');
    expect(fromLocalInput('2027-03-28T02:30', 'Europe/Berlin')).toBe('2027-03-28T03:30:00+02:00');
  });

  it('names the zone as the screens do, and falls back to the device’s for a zone it does not know', () => {
    expect(zoneShortName('UTC', Date.parse('2027-07-01T00:00:00Z'))).toBe('UTC');
    expect(knownZone('Not/AZone')).toBeNull();
    expect(knownZone('Europe/Lisbon')).toBe('Europe/Lisbon');
    expect(toLocalInput('2027-07-01T18:00:00Z', 'Not/AZone')).toMatch(/^2027-07-01T\d\d:00$/);
  });
});
