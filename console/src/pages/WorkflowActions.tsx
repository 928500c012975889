import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, apiWithStatus, enc, type Problem } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';
import { fieldErrors, SchemaFields } from '../components/SchemaForm';
import { FormInputError, initialValues, toPayload, type FormValues, type JsonSchema } from '../components/schema-form';
import type { WorkflowView } from './Workflow';

interface Definition {
  events: { type: string; payload: JsonSchema }[];
  cancelEvent: string;
}

/** Why a signal or cancel was kept instead of applied (202 `held`). */
const HELD: Record<string, string> = {
  paused: 'held while the workflow is paused; applied when it is resumed',
  incident: 'held behind an open incident; applied once it is closed',
  queued: 'held behind inputs kept earlier; applied after them',
};
const heldNote = (body: { held?: { reason?: string } } | undefined) => (body?.held ? ` — ${HELD[body.held.reason ?? ''] ?? `held (${body.held.reason})`}` : '');

const asProblem = (err: unknown): Problem => (err instanceof ApiError ? err.problem : err instanceof FormInputError ? { title: 'The form has errors', status: 0, errors: err.errors } : { title: 'Unexpected error', status: 0, detail: String(err) });

/**
 * Send an event (a form built from the event's payload schema) or cancel. Shown to operators
 * only (the roles the API lets do it); a refusal is still shown as the API words it. Once the workflow has
 * ended the forms go, but the answer to the last action stays: an event that completes the
 * workflow must still be seen to have been accepted.
 */
export function WorkflowActions({ workflow, ended, onDone }: { workflow: WorkflowView; ended: boolean; onDone: () => void }) {
  const [definition, setDefinition] = useState<Definition>();
  const [eventType, setEventType] = useState('');
  const [values, setValues] = useState<FormValues>({});
  const [problem, setProblem] = useState<Problem>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [reason, setReason] = useState('');

  useEffect(() => {
    api<Definition>(`/v1/definitions/${enc(workflow.type)}/${workflow.definitionVersion}`)
      .then(setDefinition)
      .catch((err: unknown) => setProblem(asProblem(err)));
  }, [workflow.type, workflow.definitionVersion]);

  const events = definition?.events ?? [];
  const schema = events.find((e) => e.type === eventType)?.payload;

  /** `action` may answer more to say (why the input was held). */
  const run = async (action: () => Promise<string | void>, success: string) => {
    setBusy(true);
    setProblem(undefined);
    setNotice(undefined);
    try {
      const more = await action();
      setNotice(`${success}${more ?? ''}`);
      onDone();
      return true;
    } catch (err) {
      setProblem(asProblem(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  const send = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const payload = schema ? toPayload(schema, values) : {};
      const { body } = await apiWithStatus(`/v1/workflows/${enc(workflow.id)}/events`, { method: 'POST', body: { ...payload, type: eventType } });
      return heldNote(body);
    }, `${eventType} accepted`);
  };

  const cancel = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await run(async () => {
      const { body } = await apiWithStatus(`/v1/workflows/${enc(workflow.id)}/cancel`, { method: 'POST', body: reason.trim() ? { reason: reason.trim() } : {} });
      return heldNote(body);
    }, 'Cancellation accepted');
    if (ok) setConfirming(false);
  };

  if (ended && !notice && !problem) return null;

  return (
    <section className="card" aria-labelledby="actions-heading">
      <h2 id="actions-heading">Actions</h2>
      <ProblemAlert problem={problem} onDismiss={() => setProblem(undefined)} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {!ended && (
        <div className="grid-2">
          <form onSubmit={send} aria-label="Send an event" noValidate>
            <h3>Send an event</h3>
            <div className="field">
              <label htmlFor="event-type">Event</label>
              <select
                id="event-type"
                value={eventType}
                onChange={(e) => {
                  const next = events.find((x) => x.type === e.target.value);
                  setEventType(e.target.value);
                  setValues(next ? initialValues(next.payload) : {});
                  setProblem(undefined);
                }}
              >
                <option value="">{events.length ? 'Choose an event…' : 'This definition declares no events'}</option>
                {events.map((ev) => (
                  <option key={ev.type}>{ev.type}</option>
                ))}
              </select>
            </div>
            {schema && <SchemaFields schema={schema} values={values} onChange={setValues} errors={fieldErrors(problem?.errors)} />}
            <button type="submit" disabled={!eventType || busy}>
              Send event
            </button>
          </form>
          <form onSubmit={cancel} aria-label="Cancel the workflow" noValidate>
            <h3>Cancel</h3>
            <p className="muted small">Stops its activities and timers and takes the process&apos;s cancellation path; some states refuse it.</p>
            {confirming ? (
              <>
                <div className="field">
                  <label htmlFor="cancel-reason">Reason</label>
                  <input id="cancel-reason" value={reason} maxLength={1000} onChange={(e) => setReason(e.target.value)} />
                </div>
                <div className="row">
                  <button type="submit" className="danger" disabled={busy}>
                    Confirm cancellation
                  </button>
                  <button type="button" className="secondary" onClick={() => setConfirming(false)}>
                    Keep it running
                  </button>
                </div>
              </>
            ) : (
              <button type="button" className="danger-outline" onClick={() => setConfirming(true)}>
                Cancel workflow…
              </button>
            )}
          </form>
        </div>
      )}
    </section>
  );
}
