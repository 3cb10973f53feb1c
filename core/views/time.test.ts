import { describe, expect, it } from 'vitest';
import { byVenueDay, formatDateTime, formatDay, formatTime } from './time';

const NBSP = '\u00a0';

describe('times on screen', () => {
  it('say their zone: the venue’s where the gig has one, winter and summer time told apart', () => {
    expect(formatTime('2027-01-15T18:30:00Z', { timeZone: 'Europe/Berlin', locale: 'en-GB' })).toBe(`19:30${NBSP}CET`);
    expect(formatTime('2027-07-15T17:30:00Z', { timeZone: 'Europe/Berlin', locale: 'en-GB' })).toBe(`19:30${NBSP}CEST`);
    expect(formatTime('2027-07-15T17:30:00Z', { timeZone: 'Europe/London', locale: 'en-GB' })).toBe(`18:30${NBSP}BST`);
  });

  it('fall back to the device’s zone when the gig has none', () => {
    const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const at = '2027-03-02T08:05:00Z';
    expect(formatTime(at, { timeZone: null, locale: 'en-GB' })).toBe(formatTime(at, { timeZone: device, locale: 'en-GB' }));
    expect(formatTime(at, { locale: 'en-GB' })).toMatch(/^\d{2}:\d{2}\u00a0\S+$/);
  });

  it('show a zone this device does not know in the device’s own zone, named, rather than failing the screen', () => {
    const at = '2027-03-02T08:05:00Z';
    const device = formatTime(at, { timeZone: null, locale: 'en-GB' });
    for (const unknown of ['Mars/Olympus_Mons', 'Europe/Lisbonn', '', 'not a zone']) {
      expect(formatTime(at, { timeZone: unknown, locale: 'en-GB' })).toBe(device);
      expect(formatDay(at, { timeZone: unknown, locale: 'en-GB' })).toBe(formatDay(at, { locale: 'en-GB' }));
    }
  });

  it('never break mid-value: every space is unbreakable, in any locale', () => {
    for (const locale of ['en-GB', 'en-US', 'de-DE', 'fr-FR']) {
      for (const text of [
        formatTime('2027-07-15T17:30:00Z', { timeZone: 'America/New_York', locale }),
        formatDateTime('2027-07-15T17:30:00Z', { timeZone: 'America/New_York', locale }),
        formatDay('2027-07-15T17:30:00Z', { timeZone: 'America/New_York', locale }),
      ]) {
        expect(text).not.toMatch(/[ \t\n\u2009]/);
        expect(text.length).toBeGreaterThan(3);
      }
    }
    expect(formatTime('2027-07-15T17:30:00Z', { timeZone: 'America/New_York', locale: 'en-US' })).toMatch(/^1:30\s?PM\u00a0EDT$/u);
  });

  it('give date and time together with the zone, and the day in the same zone as the time', () => {
    expect(formatDateTime('2027-12-03T18:30:00Z', { timeZone: 'Europe/Berlin', locale: 'en-GB' })).toBe(
      `3${NBSP}Dec${NBSP}2027,${NBSP}19:30${NBSP}CET`,
    );
    // 23:30 UTC on the 3rd is already the 4th in Berlin: the day heading agrees with the time under it.
    expect(formatDay('2027-12-03T23:30:00Z', { timeZone: 'Europe/Berlin', locale: 'en-GB' })).toBe(`Saturday${NBSP}4${NBSP}December`);
  });

  it('say so for a time that does not read, instead of “Invalid Date”', () => {
    expect(formatTime('not a time', { locale: 'en-GB' })).toBe('no time');
    expect(formatDateTime(Number.NaN, { locale: 'en-GB' })).toBe('no time');
  });
});

describe('gigs by their venue’s day', () => {
  it('puts each gig under its venue’s date, days in calendar order, undated last', () => {
    const gigs = [
      // In instant order, as the list arrives: Helsinki's set starts first, on Saturday there.
      { id: 'helsinki', startsAt: '2026-12-04T22:30:00Z', timeZone: 'Europe/Helsinki' },
      { id: 'new-york', startsAt: '2026-12-05T01:00:00Z', timeZone: 'America/New_York' },
      { id: 'lisbon', startsAt: '2026-12-05T09:00:00Z', timeZone: 'Europe/Lisbon' },
      { id: 'no-date', startsAt: null, timeZone: null },
      { id: 'next-year', startsAt: '2027-12-04T10:00:00Z', timeZone: 'Europe/Lisbon' },
    ];
    const days = byVenueDay(gigs, { locale: 'en-GB' });
    expect(days.map((d) => [d.label.replaceAll(NBSP, ' '), d.gigs.map((g) => g.id)])).toEqual([
      ['Friday 4 December', ['new-york']],
      ['Saturday 5 December', ['helsinki', 'lisbon']],
      ['Saturday 4 December', ['next-year']],
      ['No date', ['no-date']],
    ]);
    expect(new Set(days.map((d) => d.key)).size).toBe(days.length);
  });
});
