import { useId, useState, type FormEvent } from 'react';

/**
 * A button that asks why before it acts: "Pause…" opens an inline form with a required
 * reason (recorded in the history with the principal), "Confirm pause" sends it.
 */
export function ReasonAction({
  label,
  confirmLabel,
  subject,
  busy,
  tone = 'secondary',
  onConfirm,
}: {
  /** The button: `Pause`, shown as `Pause…`. */
  label: string;
  confirmLabel: string;
  /** What the reason is for, in its label: `Reason to pause`. */
  subject: string;
  busy: boolean;
  tone?: 'secondary' | 'danger';
  /** Resolves true when the action went through (the form closes). */
  onConfirm: (reason: string) => Promise<boolean>;
}) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!reason.trim()) return;
    if (await onConfirm(reason.trim())) {
      setOpen(false);
      setReason('');
    }
  };

  if (!open) {
    return (
      <button type="button" className={tone === 'danger' ? 'danger-outline' : 'secondary'} disabled={busy} onClick={() => setOpen(true)}>
        {label}…
      </button>
    );
  }
  return (
    <form className="reason-form" onSubmit={submit} aria-label={label} noValidate>
      <div className="field">
        <label htmlFor={id}>{subject}</label>
        <input id={id} value={reason} maxLength={1000} required aria-required="true" placeholder="required: recorded with your name" autoFocus onChange={(e) => setReason(e.target.value)} />
      </div>
      <div className="row">
        <button type="submit" className={tone === 'danger' ? 'danger' : undefined} disabled={busy || !reason.trim()}>
          {confirmLabel}
        </button>
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setOpen(false);
            setReason('');
          }}
        >
          Back
        </button>
      </div>
    </form>
  );
}
