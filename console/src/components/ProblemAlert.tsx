import type { Problem } from '../api';

/** A refusal or failure exactly as the API words it: title, detail, and the fields at fault. */
export function ProblemAlert({ problem, onDismiss }: { problem: Problem | undefined; onDismiss?: () => void }) {
  if (!problem) return null;
  return (
    <div className="problem" role="alert">
      <div className="problem-head">
        <strong className="problem-title">{problem.title}</strong>
        {problem.status ? <span className="problem-status">{problem.status}</span> : null}
        {onDismiss && (
          <button type="button" className="link" onClick={onDismiss} aria-label="Dismiss">
            ×
          </button>
        )}
      </div>
      {problem.detail && <p className="problem-detail">{problem.detail}</p>}
      {problem.errors?.length ? (
        <ul className="problem-errors">
          {problem.errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              <code>{e.field}</code>: {e.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
