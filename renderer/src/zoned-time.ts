/**
 * A gig's start and end are typed in its venue's wall-clock time, whatever zone the device is in:
 * a `datetime-local` field holds "2027-07-01T20:00" with no zone, and these turn it into an
 * instant in the venue's zone (ISO 8601 with the zone's offset) and back. Null zone: the device's.
 */

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const partsFormatters = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(zone: string | null): Intl.DateTimeFormat {
  const key = zone ?? '';
  let found = partsFormatters.get(key);
  if (found === undefined) {
    found = new Intl.DateTimeFormat('en-US', {
      ...(zone === null ? {} : { timeZone: zone }),
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    partsFormatters.set(key, found);
  }
  return found;
}

/** A zone this device knows, else null (the device's own): a damaged or too-new zone name still shows a time. */
export function knownZone(zone: string | null | undefined): string | null {
  if (zone == null || zone === '') return null;
  try {
    partsFormatter(zone);
    return zone;
  } catch {
    return null;
  }
}

function wallAt(ms: number, zone: string | null): Wall {
  const parts = Object.fromEntries(
    partsFormatter(zone)
      .formatToParts(new Date(ms))
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts['year']),
    month: Number(parts['month']),
    day: Number(parts['day']),
    hour: Number(parts['hour']),
    minute: Number(parts['minute']),
  };
}

/** The zone's offset from UTC at `ms`, in minutes (east positive), to the minute. */
function offsetAt(ms: number, zone: string | null): number {
  const wall = wallAt(ms, zone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  return Math.round((asUtc - Math.floor(ms / 60_000) * 60_000) / 60_000);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** An instant as a `datetime-local` value in the zone ("2027-07-01T20:00"); "" for none. */
export function toLocalInput(iso: string | null, zone: string | null | undefined): string {
  if (iso === null) return '';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return '';
  const w = wallAt(ms, knownZone(zone));
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/**
 * A `datetime-local` value read as wall-clock time in the zone, as ISO 8601 with the zone's offset
 * ("2027-07-01T20:00:00+02:00"); null for an empty field. A time the clocks skip (a spring-forward
 * gap) lands just after the gap; a repeated hour takes its first occurrence.
 */
export function fromLocalInput(value: string, zone: string | null | undefined): string | null {
  const m = LOCAL.exec(value.trim());
  if (m === null) return null;
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const z = knownZone(zone);
  const wallMs = Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1, hour ?? 0, minute ?? 0);
  // The offset before and after the guess: the earlier reading of a repeated hour wins.
  const first = offsetAt(wallMs - 24 * 3_600_000, z);
  const second = offsetAt(wallMs + 24 * 3_600_000, z);
  const before = wallMs - first * 60_000;
  const after = wallMs - second * 60_000;
  const ms = offsetAt(before, z) === first || offsetAt(after, z) !== second ? before : after;
  const offset = offsetAt(ms, z);
  const local = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
    `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** The zone's short name at an instant, as the screens print it after a time ("CEST", "GMT+2"). */
export function zoneShortName(zone: string | null | undefined, at: number = Date.now()): string {
  const z = knownZone(zone);
  const part = new Intl.DateTimeFormat(undefined, { ...(z === null ? {} : { timeZone: z }), timeZoneName: 'short' })
    .formatToParts(new Date(at))
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? '';
}
