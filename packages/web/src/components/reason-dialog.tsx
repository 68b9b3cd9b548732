import { type FormEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';

interface ReasonDialogProps {
  open: boolean;
  title: string;
  /** What the action does, shown above the field. */
  description?: ReactNode;
  label: string;
  /** A reason is required (e.g. unreadable); otherwise it may be left empty. */
  required: boolean;
  confirmLabel: string;
  busy: boolean;
  /** Extra fields above the reason, e.g. a priority or queue picker. */
  children?: ReactNode;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}

/**
 * A modal that asks for a reason before an action. The native <dialog> keeps focus inside while open,
 * closes on Escape and gives focus back to the button that opened it.
 */
export function ReasonDialog({
  open,
  title,
  description,
  label,
  required,
  confirmLabel,
  busy,
  children,
  onConfirm,
  onCancel,
}: ReasonDialogProps) {
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const titleId = useId();
  const fieldId = useId();
  const problemId = useId();

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setReason('');
      setProblem(null);
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (required && reason.trim() === '') {
      setProblem(`${label} is required.`);
      return;
    }
    onConfirm(reason.trim());
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
      <form onSubmit={submit} noValidate>
        <h2 id={titleId}>{title}</h2>
        {description && <div className="dialog-description">{description}</div>}
        {children}
        <div className="field">
          <label htmlFor={fieldId}>
            {label}
            {!required && <span className="muted"> (optional)</span>}
          </label>
          <textarea
            id={fieldId}
            value={reason}
            rows={3}
            maxLength={500}
            onChange={(e) => setReason(e.target.value)}
            aria-invalid={problem !== null || undefined}
            aria-describedby={problem ? problemId : undefined}
            required={required}
          />
          {problem && (
            <p className="field-error" id={problemId} role="alert">
              {problem}
            </p>
          )}
        </div>
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Working…' : confirmLabel}
          </button>
          <button type="button" className="button button-secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
