import { api, enc } from '../api';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatTime, stateLabel } from '../components/Status';
import { hasRole, useMe } from '../me';
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
export function Timeline({ id, version }: { id: string; version: number | string | undefined }) {
  // Only operators and auditors read the history, only auditors verify it: a page does not ask to be refused (each refusal is recorded).
  const me = useMe();
  const reader = hasRole(me, 'operator', 'auditor');
  const auditor = hasRole(me, 'auditor');
  const history = usePoll(async () => (reader ? api<{ items: HistoryEntry[] }>(`/v1/workflows/${enc(id)}/history`) : { items: [] }), [id, version, reader], undefined, [id]);
  const audit = usePoll(async () => (auditor ? api<VerifyReport>(`/v1/audit/verify?workflowId=${enc(id)}`) : null), [id, version, auditor], null, [id]);
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
          ) : auditor ? (
            <span className="muted small">verifying…</span>
          ) : (
            <span className="muted small">audit chain: verified by auditors</span>
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
