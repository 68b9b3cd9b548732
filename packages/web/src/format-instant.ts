/** Options for {@link formatInstant}; both default to the viewer's own. */
export interface InstantFormatOptions {
  locale?: string;
  timeZone?: string;
}

/**
 * Formats an ISO 8601 instant (stored in UTC) for a person: in the viewer's time zone, with the zone
 * named, because an audit trail is read by people in other zones and "10:02" alone is ambiguous.
 * Returns the input unchanged when it is not a valid instant.
 */
export function formatInstant(iso: string, options: InstantFormatOptions = {}): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(options.locale, {
    timeZone: options.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).format(date);
}
