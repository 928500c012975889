import { api, enc } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatTime, stateLabel } from '../components/Status';
import { usePoll } from '../poll';

interface HistoryEntry {
  seq: number;
  recordedAt: string;
  kind: string;
  actor: string;
  event: { type?: string } | null;
  stateBefore: unknown;
  stateAfter: unknown;
  outcome: string;
  reason: string | null;
  hash: string;
}

interface VerifyReport {
  verified: boolean;
  records: number;
  firstFailure?: { seq: number; reason: string };
}

/** The recorded facts as a timeline, with whether the hash chain still verifies (operators and auditors). */
export function Timeline({ id, version }: { id: string; version: number | undefined }) {
  const history = usePoll(() => api<{ items: HistoryEntry[] }>(`/v1/workflows/${enc(id)}/history`), [id, version], undefined, [id]);
  const audit = usePoll(() => api<VerifyReport>(`/v1/audit/verify?workflowId=${enc(id)}`), [id, version], null, [id]);
  const report = audit.data;

  return (
    <section className="card" aria-labelledby="history-heading">
      <div className="section-head">
        <h2 id="history-heading">History</h2>
        <div data-testid="audit-chain">
          {report ? (
            report.verified ? (
              <span className="chain chain-ok">✓ audit chain verified ({report.records} records)</span>
            ) : (
              <span className="chain chain-bad">
                ✗ audit chain broken at record {report.firstFailure?.seq}: {report.firstFailure?.reason}
              </span>
            )
          ) : audit.problem ? (
            <span className="muted small">
              audit chain: {audit.problem.title}
              {audit.problem.detail ? ` — ${audit.problem.detail}` : ''}
            </span>
          ) : (
            <span className="muted small">verifying…</span>
          )}
        </div>
      </div>
      <ProblemAlert problem={history.problem} />
      {history.data && (
        <ol className="timeline" aria-label="History">
          {history.data.items.map((h) => (
            <li key={h.seq} className={`tl tl-${h.outcome}`}>
              <div className="tl-head">
                <span className="tl-seq">#{h.seq}</span>
                <strong>{h.kind}</strong>
                {h.event?.type && <code>{h.event.type}</code>}
                <span className={`outcome outcome-${h.outcome}`}>{h.outcome}</span>
                <time className="muted small" dateTime={h.recordedAt}>
                  {formatTime(h.recordedAt)}
                </time>
              </div>
              <div className="tl-body small">
                <span>by {h.actor}</span>
                {h.stateAfter !== null && JSON.stringify(h.stateBefore) !== JSON.stringify(h.stateAfter) && (
                  <span className="mono">
                    {' '}
                    · {stateLabel(h.stateBefore)} → {stateLabel(h.stateAfter)}
                  </span>
                )}
                {h.reason && <span> · {h.reason}</span>}
                <span className="hash mono" title={h.hash}>
                  {h.hash.slice(0, 12)}
                </span>
              </div>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
