import { parseCalendarDate } from './calendar-date.ts';
import type { RosterEntry, RoutingConfig, Shift } from './model.ts';
import { shiftInstanceAt, shiftTimesOf } from './shift-calendar.ts';

/** True when a roster entry covers the shift instance that started on local day `dayNumber`. */
export function rosterCoversDay(entry: RosterEntry, dayNumber: number): boolean {
  const from = parseCalendarDate(entry.from);
  if (from === undefined || dayNumber < from) return false;
  if (entry.to === undefined) return true;
  const to = parseCalendarDate(entry.to);
  return to !== undefined && dayNumber <= to;
}

/**
 * Which readers are rostered at instant `at`: for every shift that is on, the readers whose roster entry for
 * that shift covers the date the running instance started on (so a night shift started yesterday counts
 * yesterday's roster). Inactive readers are left out. A reader may be on several shifts at once.
 *
 * This reads the plain config; `compileRouting` keeps the same answer cached per minute for routing.
 */
export function readersOnShiftAt(config: RoutingConfig, at: number): Map<string, Shift[]> {
  const active = new Set<string>();
  for (const r of config.readers) if (r.active !== false) active.add(r.id);
  const running = new Map<string, { shift: Shift; dayNumber: number }>();
  for (const shift of config.shifts) {
    const times = shiftTimesOf(shift);
    const instance = times && shiftInstanceAt(times, at);
    if (instance) running.set(shift.id, { shift, dayNumber: instance.dayNumber });
  }
  const out = new Map<string, Shift[]>();
  for (const entry of config.rosters) {
    const on = running.get(entry.shiftId);
    if (!on || !active.has(entry.readerId) || !rosterCoversDay(entry, on.dayNumber)) continue;
    const list = out.get(entry.readerId);
    if (!list) out.set(entry.readerId, [on.shift]);
    else if (!list.includes(on.shift)) list.push(on.shift);
  }
  return out;
}
