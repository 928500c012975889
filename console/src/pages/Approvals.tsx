import { useState } from 'react';
import { api, queryString, type Problem } from '../api';
import { ApprovalCard } from '../components/ApprovalCard';
import { ProblemAlert } from '../components/ProblemAlert';
import { useMe } from '../me';
import { asProblem, decideApproval, mayOperate, mayReadOperations, type Approval, type Page } from '../operations';
import { usePoll } from '../poll';
import { href } from '../router';

const STATUSES = ['pending', 'approved', 'rejected', 'expired'] as const;

/**
 * Operator actions kept for a second operator (dual control). Operators approve or reject
 * them; auditors read them. The API says who may not (the requester approving their own).
 */
export function Approvals({ query }: { query: URLSearchParams }) {
  const me = useMe();
  const reader = mayReadOperations(me);
  const operator = mayOperate(me);
  const status = query.get('status') ?? 'pending';
  const list = usePoll(async () => (reader ? api<Page<Approval>>(`/v1/operator-approvals${queryString({ status: status === 'all' ? undefined : status, limit: 100 })}`) : { items: [], nextCursor: null }), [status, reader]);
  const [notice, setNotice] = useState<string>();
  const [failed, setFailed] = useState<{ id: string; problem: Problem }>();

  const decide = async (a: Approval, decision: 'approve' | 'reject', reason: string) => {
    setNotice(undefined);
    setFailed(undefined);
    try {
      setNotice(await decideApproval(a, decision, reason));
    } catch (err) {
      setFailed({ id: a.id, problem: asProblem(err) });
      throw err;
    } finally {
      list.reload();
    }
  };

  if (!reader) {
    return (
      <>
        <h1>Operator approvals</h1>
        <p className="muted">Approvals are for operators and auditors.</p>
      </>
    );
  }
  const items = list.data?.items;
  // An approval that failed while being carried out leaves the pending list: its refusal is shown here instead.
  const orphan = failed && !items?.some((a) => a.id === failed.id) ? failed.problem : undefined;

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Operator approvals</h1>
          <p className="muted small">Actions the deployment keeps for a second operator (dual control). The requester may reject (withdraw) their own, never approve it.</p>
        </div>
        <nav className="tabs" aria-label="Approval status">
          {[...STATUSES, 'all'].map((s) => (
            <a key={s} href={href('/approvals', { status: s === 'pending' ? undefined : s })} aria-current={s === status ? 'page' : undefined}>
              {s}
            </a>
          ))}
        </nav>
      </div>
      <ProblemAlert problem={list.problem} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <ProblemAlert problem={orphan} onDismiss={() => setFailed(undefined)} />
      <section aria-label="Approvals" className="approvals">
        {!items ? (
          <p className="muted">Loading…</p>
        ) : items.length ? (
          items.map((a) => <ApprovalCard key={a.id} approval={a} canDecide={operator} onDecide={decide} />)
        ) : (
          <p className="muted">{status === 'pending' ? 'Nothing waits for a second operator.' : `No ${status === 'all' ? '' : `${status} `}approvals.`}</p>
        )}
      </section>
    </>
  );
}
