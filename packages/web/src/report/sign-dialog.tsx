import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import type { SignedReportKind } from './report-api.ts';
import { signLabels } from './report-model.ts';

interface SignDialogProps {
  kind: SignedReportKind | null;
  busy: boolean;
  /** Why the last attempt failed (a wrong password, an incomplete report), shown in the dialog. */
  problem: string | null;
  onConfirm: (password: string) => void;
  onCancel: () => void;
}

const explanations: Record<SignedReportKind, string> = {
  preliminary:
    'The preliminary report goes to the referrer at once and the case waits for your final report. It cannot be changed once signed.',
  final: 'The final report is sent and the case is closed. After this, changes are made with an addendum.',
  addendum: 'The addendum is appended to the final report and sent again. It cannot be changed once signed.',
};

/**
 * Asks for the reader's password before a signature: a report is signed by the person at the keyboard,
 * not by whoever left a session open. The native <dialog> keeps focus inside and closes on Escape.
 */
export function SignDialog({ kind, busy, problem, onConfirm, onCancel }: SignDialogProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const titleId = useId();
  const fieldId = useId();
  const problemId = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (kind && !dialog.open) {
      setPassword('');
      dialog.showModal();
    } else if (!kind && dialog.open) dialog.close();
  }, [kind]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (password !== '') onConfirm(password);
  }

  return (
    <dialog
      ref={dialogRef}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(event) => {
        event.preventDefault();
        onCancel();
      }}
    >
      {kind && (
        <form onSubmit={submit} noValidate>
          <h2 id={titleId}>{signLabels[kind]}</h2>
          <div className="dialog-description">
            <p>{explanations[kind]}</p>
          </div>
          <div className="field">
            <label htmlFor={fieldId}>Your password</label>
            <input
              id={fieldId}
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-invalid={problem !== null || undefined}
              aria-describedby={problem ? problemId : undefined}
              required
            />
            {problem && (
              <p className="field-error" id={problemId} role="alert">
                {problem}
              </p>
            )}
          </div>
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={busy || password === ''}>
              {busy ? 'Signing…' : signLabels[kind]}
            </button>
            <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
