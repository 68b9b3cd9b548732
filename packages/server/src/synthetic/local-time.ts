/** DICOM DA/TM/offset strings for an instant as a given time zone's wall clock shows it. */
export interface LocalDicomTime {
  /** DA: YYYYMMDD */
  date: string;
  /** TM: HHMMSS (whole seconds; scanners that write fractions are not what these tests need) */
  time: string;
  /** (0008,0201) Timezone Offset From UTC: "+HHMM" or "-HHMM", DST included. */
  offset: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock date, time and UTC offset of `instant` in `timeZone` (an IANA name). */
export function localDicomTime(instant: Date, timeZone: string): LocalDicomTime {
  const parts: Record<string, string> = {};
  for (const p of formatterFor(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  const date = `${parts.year}${parts.month}${parts.day}`;
  const time = `${parts.hour}${parts.minute}${parts.second}`;
  // The offset is what the wall clock reads minus UTC, both taken to the whole second.
  const wallMs = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offsetMin = Math.round((wallMs - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return { date, time, offset };
}

/** DA for a calendar date held as a UTC midnight Date (birth dates have no zone). */
export function dicomDate(utcDate: Date): string {
  return `${utcDate.getUTCFullYear()}${String(utcDate.getUTCMonth() + 1).padStart(2, '0')}${String(utcDate.getUTCDate()).padStart(2, '0')}`;
}

/**
 * (0010,1010) Patient Age on `studyDate` (both DA strings), as PS3.5 AS: "nnnY" from two years on,
 * months below that, weeks below a month... as most modalities write it.
 */
export function patientAge(birthDate: string, studyDate: string): string {
  const by = Number(birthDate.slice(0, 4));
  const bm = Number(birthDate.slice(4, 6));
  const bd = Number(birthDate.slice(6, 8));
  const sy = Number(studyDate.slice(0, 4));
  const sm = Number(studyDate.slice(4, 6));
  const sd = Number(studyDate.slice(6, 8));
  let years = sy - by;
  if (sm < bm || (sm === bm && sd < bd)) years--;
  if (years >= 2) return `${String(Math.min(years, 999)).padStart(3, '0')}Y`;
  let months = (sy - by) * 12 + (sm - bm);
  if (sd < bd) months--;
  if (months >= 1) return `${String(months).padStart(3, '0')}M`;
  const days = Math.round((Date.UTC(sy, sm - 1, sd) - Date.UTC(by, bm - 1, bd)) / 86_400_000);
  if (days >= 7) return `${String(Math.floor(days / 7)).padStart(3, '0')}W`;
  return `${String(Math.max(days, 0)).padStart(3, '0')}D`;
}

/** Minutes the zone's wall clock is ahead of UTC at `instant`. */
export function utcOffsetMinutes(instant: Date, timeZone: string): number {
  const { offset } = localDicomTime(instant, timeZone);
  const minutes = Number(offset.slice(1, 3)) * 60 + Number(offset.slice(3, 5));
  return offset.startsWith('-') ? -minutes : minutes;
}

/**
 * The instant at which `timeZone`'s wall clock reads the given local date and time. In a DST gap the
 * result lands an hour later; in an overlap it is the first of the two readings' instants.
 */
export function zonedInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  timeZone: string,
): Date {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  let instant = wall - utcOffsetMinutes(new Date(wall), timeZone) * 60_000;
  // A second pass settles the offset when the first guess fell on the other side of a transition.
  instant = wall - utcOffsetMinutes(new Date(instant), timeZone) * 60_000;
  return new Date(instant);
}
