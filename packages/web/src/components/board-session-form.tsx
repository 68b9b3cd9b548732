import { useId, useState } from 'react';
import type { BoardSession, BoardSessionInput } from '../boards-api.ts';
import { type Problem, toProblem } from '../problem.ts';
import { ErrorNotice } from './error-notice.tsx';

const split = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** Create or edit a session: title, local date and time in the meeting's zone, specialties, members. */
export function BoardSessionForm({
  initial,
  defaultTimeZone,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial?: BoardSession;
  defaultTimeZone: string;
  submitLabel: string;
  onSubmit: (input: BoardSessionInput) => Promise<void>;
  onCancel?: () => void;
}) {
  const [title, setTitle] = useState(initial?.title ?? '');
  const [date, setDate] = useState(initial?.date ?? '');
  const [time, setTime] = useState(initial?.time ?? '08:00');
  const [timeZone, setTimeZone] = useState(initial?.timeZone ?? defaultTimeZone);
  const [duration, setDuration] = useState(String(initial?.durationMinutes ?? 60));
  const [specialties, setSpecialties] = useState(initial?.specialties.join(', ') ?? '');
  const [location, setLocation] = useState(initial?.location ?? '');
  const [members, setMembers] = useState(initial?.members.map((m) => m.username).join(', ') ?? '');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const ids = {
    title: useId(),
    date: useId(),
    time: useId(),
    zone: useId(),
    duration: useId(),
    specialties: useId(),
    location: useId(),
    members: useId(),
  };

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await onSubmit({
        title,
        date,
        time,
        timeZone,
        durationMinutes: Number(duration),
        specialties: split(specialties),
        location: location.trim() || null,
        members: split(members),
      });
    } catch (error) {
      setProblem(toProblem(error));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stack board-form" onSubmit={submit} aria-label={submitLabel}>
      <div className="filter-grid">
        <div className="field">
          <label htmlFor={ids.title}>Title</label>
          <input id={ids.title} required value={title} onChange={(e) => setTitle(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.date}>Date</label>
          <input id={ids.date} type="date" required value={date} onChange={(e) => setDate(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.time}>Start time</label>
          <input id={ids.time} type="time" required value={time} onChange={(e) => setTime(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.zone}>Time zone</label>
          <input
            id={ids.zone}
            required
            value={timeZone}
            onChange={(e) => setTimeZone(e.target.value)}
            spellCheck={false}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.duration}>Duration (minutes)</label>
          <input
            id={ids.duration}
            type="number"
            min={5}
            max={720}
            value={duration}
            onChange={(e) => setDuration(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={ids.location}>Location</label>
          <input id={ids.location} value={location} onChange={(e) => setLocation(e.target.value)} />
        </div>
      </div>
      <div className="field">
        <label htmlFor={ids.specialties}>Specialties (comma-separated)</label>
        <input
          id={ids.specialties}
          placeholder="oncology, radiology, surgery"
          value={specialties}
          onChange={(e) => setSpecialties(e.target.value)}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.members}>Members (user names, comma-separated)</label>
        <input
          id={ids.members}
          placeholder="dr.okafor, onc.lee"
          value={members}
          onChange={(e) => setMembers(e.target.value)}
          spellCheck={false}
        />
      </div>
      {problem && <ErrorNotice problem={problem} />}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="button button-secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
