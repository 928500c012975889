import type { Money, SandboxClient } from '../sandbox/client';
import { mapLimit, statePath, TERMINAL, type StateraApi, type Status, type WorkflowView } from './api';
import type { Plan, PlannedWorkflow } from './scenarios';

type Signal = { type: string; [field: string]: unknown };
/** A person's decision: made by completing the workflow's open task, as a reviewer of its groups. */
type Decision = { decide: string; data: Record<string, unknown> };

/**
 * Answers for the person or partner a workflow in one state waits for, as they would:
 * from what the workflow shows (its context) and what the partner's books say. Undefined
 * means nothing to send yet (the bank has not settled, say): asked again on the next poll.
 */
type Responder = (w: WorkflowView, plan: Plan, partners: SandboxClient) => Signal | Decision | undefined | Promise<Signal | Decision | undefined>;

/** Keyed by workflow type, then by state (`a.b` for a nested state, or its top-level name). */
const RESPONDERS: Record<string, Record<string, Responder>> = {
  'payment-settlement': {
    // The bank's callback names the payment by the reference the payout carried and reports what its ledger says.
    awaitingSettlement: async (w, _plan, partners) => {
      const transfer = await partners.bank.getTransfer(w.context.transferId);
      if (transfer.status === 'submitted') return undefined;
      const notice = { reference: w.context.paymentId, transferId: transfer.id };
      return transfer.status === 'settled'
        ? { type: 'settlement.confirmed', ...notice }
        : { type: 'settlement.failed', ...notice, reason: (transfer.failureReason ?? transfer.status).slice(0, 140) };
    },
  },
  'fraud-check': {
    awaitingReview: (w, plan) => ({ decide: plan.review === 'decline' ? 'decline' : 'approve', data: { note: `score ${w.context.score} reviewed` } }),
  },
  'kyc-verification': {
    awaitingDocuments: (_w, plan) => (plan.documents ? { type: 'documents.submitted', documents: plan.documents } : undefined),
    complianceReview: (w, plan) => ({
      decide: plan.compliance === 'reject' ? 'reject' : 'approve',
      data: { note: `flags: ${(w.context.riskFlags as string[]).join(', ') || 'none'}` },
    }),
  },
  'loan-approval': {
    underwriting: (w, plan) => ({ decide: plan.underwriter === 'decline' ? 'decline' : 'approve', data: { note: `referred: ${w.context.referralReason ?? 'unknown'}` } }),
    secondApproval: () => ({ decide: 'approve', data: { note: 'second pair of eyes' } }),
    awaitingAcceptance: (_w, plan) => (plan.offer === 'decline' ? { type: 'offer.declined', reason: 'found a cheaper offer' } : { type: 'offer.accepted' }),
  },
  'trade-execution': {
    'orderOpen.working': (w, plan, partners) => brokerReport(w, plan, partners),
  },
};

/** States that run a child workflow, by the invoke id that names the child `<parent>:<invokeId>:<n>` (n = 1: each state is entered once here). */
const CHILDREN: Record<string, Record<string, string>> = {
  'payment-settlement': { screening: 'fraudCheck' },
  'loan-approval': { verifyingIdentity: 'kycVerification', disbursing: 'paymentSettlement' },
};

/**
 * The broker's execution report for the next fill of the plan. The fill is booked at the
 * broker first, so its id is the broker's; a fill the broker has but the workflow has not
 * (its report was lost) is reported again instead of executing a new one.
 */
async function brokerReport(w: WorkflowView, plan: Plan, partners: SandboxClient): Promise<Signal | undefined> {
  const reported = new Set((w.context.fills as { fillId: string }[]).map((f) => f.fillId));
  if (plan.cancelAfterFills !== undefined && reported.size >= plan.cancelAfterFills) return { type: 'order.cancelRequested', requestedBy: 'trader-tom' };
  const orderId: string = w.context.brokerOrderId;
  let fill = (await partners.broker.getOrder(orderId)).fills.find((f) => !reported.has(f.id));
  const quantity = plan.fills?.[reported.size];
  if (!fill && quantity !== undefined) {
    // A little price improvement: below the limit for a buy, above it for a sell.
    const limit: Money = w.context.limitPrice;
    const price = { value: limit.value + (w.context.side === 'buy' ? -5 : 5), currency: limit.currency };
    fill = (await partners.admin.addFill(orderId, { quantity, price })).fills.at(-1);
  }
  return fill && { type: 'order.filled', fillId: fill.id, quantity: fill.quantity, price: fill.price };
}

/** Polls the run's workflows (children included) and sends each waiting one the signal its state asks for. */
export class Driver {
  /** Latest view of every workflow seen, roots and children. */
  readonly views = new Map<string, WorkflowView>();
  signalsSent = 0;
  /** Signals answered 409: the state moved on between our read and our send (a timer, a retry). */
  signalsRefused = 0;
  transientErrors = 0;
  lastError: string | null = null;
  /** `<id>@<version>`: one answer per state a workflow is in, however often it is polled there. */
  private readonly answered = new Set<string>();

  constructor(
    private readonly api: StateraApi,
    private readonly partners: SandboxClient,
    readonly roots: readonly PlannedWorkflow[],
    private readonly reviewers: readonly StateraApi[] = [],
  ) {}

  /** Each reviewer in turn until one may decide: another group or the four-eyes rule sends it to the next. */
  private async decide(id: string, decision: Decision): Promise<boolean> {
    for (const reviewer of this.reviewers) {
      for (const task of await reviewer.openTasks(id)) {
        if (!task.decisions.includes(decision.decide)) continue;
        const result = await reviewer.complete(task.id, decision.decide, decision.data);
        if (result === 'done') return true;
        if (result === 'gone') return false;
      }
    }
    return false;
  }

  isDone(id: string): boolean {
    const status = this.views.get(id)?.status;
    return status !== undefined && TERMINAL.has(status);
  }

  get open(): PlannedWorkflow[] {
    return this.roots.filter((r) => !this.isDone(r.workflowId));
  }

  /** Roots by status; a root not read yet counts as running. */
  counts(): Record<Status, number> {
    const counts: Record<Status, number> = { running: 0, waiting: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const r of this.roots) counts[this.views.get(r.workflowId)?.status ?? 'running']++;
    return counts;
  }

  /** Polls until every root is terminal, the deadline passes or `signal` aborts. */
  async drive(deadline: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      await mapLimit(this.open, 8, (r) => this.visit(r.workflowId, r.plan));
      if (this.open.length === 0 || Date.now() >= deadline || signal?.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  private async visit(id: string, plan: Plan): Promise<void> {
    try {
      const w = await this.api.get(id);
      if (!w) return;
      this.views.set(id, w);
      if (TERMINAL.has(w.status)) return;
      const path = statePath(w.state);
      const top = path.split('.')[0];
      const child = CHILDREN[w.type]?.[top];
      if (child) await this.visit(`${id}:${child}:1`, plan);
      const respond = RESPONDERS[w.type]?.[path] ?? RESPONDERS[w.type]?.[top];
      const key = `${id}@${w.version}`;
      if (!respond || this.answered.has(key)) return;
      const event = await respond(w, plan, this.partners);
      if (!event) return;
      this.answered.add(key);
      try {
        const sent = 'decide' in event ? await this.decide(id, event as Decision) : await this.api.signal(id, event as Signal);
        if (sent) this.signalsSent++;
        else this.signalsRefused++;
      } catch (err) {
        this.answered.delete(key); // not delivered: answer again next time
        throw err;
      }
    } catch (err) {
      // The bank is faulted on purpose, and the API may hiccup: the next poll tries again.
      this.transientErrors++;
      this.lastError = `${id}: ${(err as Error).message}`;
    }
  }
}
