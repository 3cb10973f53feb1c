import { formatDateTime, formatTime } from '../../core/views/time';

/**
 * A time on screen, with its zone and on one line (core/views/time.ts does the words): the
 * venue's zone where the gig has one (`zone`), else the device's.
 */
export function Time({ at, zone = null, date = false }: { at: string | number; zone?: string | null; date?: boolean }) {
  const iso = typeof at === 'number' ? new Date(at).toISOString() : at;
  return (
    <time dateTime={iso} className="time">
      {date ? formatDateTime(at, { timeZone: zone }) : formatTime(at, { timeZone: zone })}
    </time>
  );
}
