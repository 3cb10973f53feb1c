/**
 * Every time a screen shows, written one way: with its zone ("19:30 CET") — the venue's where a
 * gig carries one (gigs.time_zone), else the device's — and with unbreakable spaces, so a narrow
 * phone never puts "19:30" on one line and "CET" on the next.
 */
export interface TimeOptions {
  /** An IANA zone (the venue's); null or absent: the device's. */
  timeZone?: string | null | undefined;
  /** Absent: the device's language. */
  locale?: string | undefined;
}

type Kind = 'time' | 'dateTime' | 'day' | 'dayKey';

const SHAPES: Record<Kind, Intl.DateTimeFormatOptions> = {
  time: { hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  dateTime: { day: 'numeric', month: 'short', year: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' },
  day: { weekday: 'long', day: 'numeric', month: 'long' },
  // With locale en-CA: "2027-12-04", which sorts as the calendar does.
  dayKey: { year: 'numeric', month: '2-digit', day: '2-digit' },
};

/** Formatters are costly to build and a list shows hundreds of times: one per shape, zone and language. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(kind: Kind, options: TimeOptions): Intl.DateTimeFormat {
  const key = `${kind}|${options.timeZone ?? ''}|${options.locale ?? ''}`;
  let found = formatters.get(key);
  if (found === undefined) {
    try {
      found = new Intl.DateTimeFormat(options.locale, {
        ...SHAPES[kind],
        ...(options.timeZone == null ? {} : { timeZone: options.timeZone }),
      });
    } catch (error) {
      // A zone this device's Intl does not know (the server's zone database is newer, or a row
      // was damaged): the time in the device's own zone, still named, rather than no screen.
      if (!(error instanceof RangeError) || options.timeZone == null) throw error;
      found = formatter(kind, { ...options, timeZone: null });
    }
    formatters.set(key, found);
  }
  return found;
}

/** Ordinary and thin spaces become no-break spaces (ICU's narrow no-break space already is one). */
const unbreakable = (text: string): string => text.replace(/[ \u2009]/g, '\u00a0');

function format(kind: Kind, at: string | number | Date, options: TimeOptions): string {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) return 'no time';
  return unbreakable(formatter(kind, options).format(date));
}

/** "19:30 CET" */
export const formatTime = (at: string | number | Date, options: TimeOptions = {}): string => format('time', at, options);
/** "3 Dec 2027, 19:30 CET" */
export const formatDateTime = (at: string | number | Date, options: TimeOptions = {}): string => format('dateTime', at, options);
/** "Saturday 4 December": the day in the same zone as the times listed under it. */
export const formatDay = (at: string | number | Date, options: TimeOptions = {}): string => format('day', at, options);

/** "12 Oct", with the year when it is not `now`'s, in `timeZone` (the device's when absent), en-GB. */
export function shortDay(at: number, now: number, timeZone?: string): string {
  const year = (ms: number): string => new Intl.DateTimeFormat('en-GB', { year: 'numeric', timeZone }).format(ms);
  return new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    ...(year(at) === year(now) ? {} : { year: 'numeric' }),
    timeZone,
  }).format(at);
}

/** "14:32 today", "09:05, 2 Dec" (the year when it is not this year's), in the station's time zone, with no-break spaces. */
export function localTime(at: number, now: number, timeZone?: string): string {
  const fmt = (ms: number, options: Intl.DateTimeFormatOptions): string =>
    new Intl.DateTimeFormat('en-GB', { ...options, timeZone }).format(ms);
  const time = fmt(at, { hour: '2-digit', minute: '2-digit' });
  // No-break spaces: a time never wraps mid-value on a phone.
  if (fmt(at, { dateStyle: 'short' }) === fmt(now, { dateStyle: 'short' })) return `${time}\u00a0today`;
  return `${time},\u00a0${shortDay(at, now, timeZone).replaceAll(' ', '\u00a0')}`;
}

/**
 * Gigs under day headings, each on its venue's date (as its times are shown): days in calendar
 * order, undated gigs last, each day's gigs in the order given. A Helsinki set at 00:30 on Saturday
 * that starts before a New York set at 20:00 on Friday is still listed under Saturday, after Friday.
 */
export function byVenueDay<T extends { startsAt: string | null; timeZone?: string | null | undefined }>(
  gigs: readonly T[],
  options: { locale?: string | undefined } = {},
): { key: string; label: string; gigs: T[] }[] {
  const days = new Map<string, { key: string; label: string; gigs: T[] }>();
  for (const gig of gigs) {
    const dated = gig.startsAt !== null && !Number.isNaN(Date.parse(gig.startsAt));
    const key = dated ? format('dayKey', gig.startsAt ?? '', { timeZone: gig.timeZone, locale: 'en-CA' }) : '\uffff';
    const day = days.get(key) ?? {
      key,
      label: dated ? formatDay(gig.startsAt ?? '', { timeZone: gig.timeZone, locale: options.locale }) : 'No date',
      gigs: [],
    };
    day.gigs.push(gig);
    days.set(key, day);
  }
  return [...days].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, day]) => day);
}
