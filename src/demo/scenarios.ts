import type { KycDocument, Money, PartnerName, ScriptEntry } from '../sandbox/client';

/**
 * What the people and partners around one workflow will do when it waits for them. Set
 * when the workflow is planned; a child workflow (a payment's fraud check, a loan's KYC and
 * disbursement) follows its root's plan.
 */
export interface Plan {
  review?: 'approve' | 'decline';
  compliance?: 'approve' | 'reject';
  /** Sent when a KYC check waits for documents. */
  documents?: KycDocument[];
  underwriter?: 'approve' | 'decline';
  offer?: 'accept' | 'decline';
  /** Quantities the broker executes, one fill per report. */
  fills?: number[];
  /** The trader cancels the rest of the order after this many fills. */
  cancelAfterFills?: number;
}

export interface PlannedWorkflow {
  type: string;
  workflowId: string;
  scenario: string;
  input: Record<string, unknown>;
  plan: Plan;
}

export interface AccountSpec {
  id: string;
  owner: string;
  balance: Money;
}

export interface DemoMix {
  accounts: AccountSpec[];
  workflows: PlannedWorkflow[];
  /** Partner answers pinned for this run's workflows only (idempotencyKeyPrefix), so outcomes are deliberate, not hash luck. */
  scripts: { partner: PartnerName; entries: ScriptEntry[] }[];
}

/** At scale 1: the mix the brief asks for. */
export const BASE_COUNTS = { payments: 40, loans: 6, kyc: 10, trades: 8 };

const eur = (value: number): Money => ({ value, currency: 'EUR' });
const passport = (country = 'DE'): KycDocument[] => [{ type: 'passport', number: 'X1234567', country }];
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Each list is a cycle: workflow i gets scenario i % length, so any scale keeps the same
 * proportions, and the first entries (all a small scale runs) cover the interesting paths.
 */
const PAYMENTS: { scenario: string; payer: 'eur' | 'gbp' | 'poor'; to: 'EUR' | 'USD' | 'GBP'; score: number; plan?: Plan }[] = [
  { scenario: 'EUR→USD, converted', payer: 'eur', to: 'USD', score: 12 },
  { scenario: 'EUR→EUR', payer: 'eur', to: 'EUR', score: 8 },
  { scenario: 'EUR→USD, analyst approves', payer: 'eur', to: 'USD', score: 55, plan: { review: 'approve' } },
  { scenario: 'GBP→GBP', payer: 'gbp', to: 'GBP', score: 20 },
  { scenario: 'EUR→EUR, fraud score too high', payer: 'eur', to: 'EUR', score: 92 },
  { scenario: 'EUR→USD, converted', payer: 'eur', to: 'USD', score: 15 },
  { scenario: 'EUR→EUR, analyst declines', payer: 'eur', to: 'EUR', score: 63, plan: { review: 'decline' } },
  { scenario: 'EUR→EUR', payer: 'eur', to: 'EUR', score: 25 },
  { scenario: 'EUR→USD, converted', payer: 'eur', to: 'USD', score: 30 },
  { scenario: 'EUR→EUR, insufficient funds', payer: 'poor', to: 'EUR', score: 10 },
];

const LOANS: { scenario: string; creditScore: number; amount: number; plan: Plan; disburses: boolean }[] = [
  { scenario: 'auto-approved, accepted', creditScore: 780, amount: 1_500_000, plan: { offer: 'accept' }, disburses: true },
  { scenario: 'referred (score), underwriter approves, accepted', creditScore: 660, amount: 900_000, plan: { underwriter: 'approve', offer: 'accept' }, disburses: true },
  { scenario: 'auto-approved, offer declined', creditScore: 800, amount: 500_000, plan: { offer: 'decline' }, disburses: false },
  { scenario: 'referred (amount), underwriter declines', creditScore: 760, amount: 4_000_000, plan: { underwriter: 'decline' }, disburses: false },
  { scenario: 'credit score below minimum', creditScore: 540, amount: 700_000, plan: {}, disburses: false },
  { scenario: 'auto-approved, accepted', creditScore: 720, amount: 2_000_000, plan: { offer: 'accept' }, disburses: true },
];

const KYC: { scenario: string; name: string; country: string; documents?: KycDocument[]; plan: Plan }[] = [
  { scenario: 'all clear', name: 'Jana Novak', country: 'DE', documents: passport(), plan: {} },
  { scenario: 'documents sent later', name: 'Luca Bianchi', country: 'IT', plan: { documents: passport('IT') } },
  { scenario: 'no photo ID, compliance approves', name: 'Eva Lindqvist', country: 'SE', documents: [{ type: 'proof_of_address' }], plan: { compliance: 'approve' } },
  { scenario: 'all clear', name: 'Tomás Ruiz', country: 'ES', documents: [{ type: 'id_card', number: 'ES778812', country: 'ES' }], plan: {} },
  { scenario: 'PEP, compliance approves', name: 'Paula Ministra', country: 'PT', documents: passport('PT'), plan: { compliance: 'approve' } },
  { scenario: 'expired document', name: 'Owen Price', country: 'GB', documents: [{ type: 'passport', number: 'GB0000001', expired: true }], plan: {} },
  { scenario: 'embargoed country, compliance rejects', name: 'Darius Tehrani', country: 'IR', documents: passport('IR'), plan: { compliance: 'reject' } },
  { scenario: 'all clear', name: 'Mia Wagner', country: 'AT', documents: [{ type: 'driving_licence', number: 'AT55102', country: 'AT' }], plan: {} },
  { scenario: 'documents sent later, no photo ID, compliance rejects', name: 'Noah Peeters', country: 'BE', plan: { documents: [{ type: 'proof_of_address' }, { type: 'selfie' }], compliance: 'reject' } },
  { scenario: 'all clear', name: 'Sofia Costa', country: 'PT', documents: passport('PT'), plan: {} },
];

const TRADES: { scenario: string; symbol: string; side: 'buy' | 'sell'; quantity: number; limit: number; plan: Plan; brokerRejects?: boolean }[] = [
  { scenario: 'buy, filled in two parts', symbol: 'ACME', side: 'buy', quantity: 250, limit: 12_550, plan: { fills: [100, 150] } },
  { scenario: 'broker rejects', symbol: 'INIT', side: 'buy', quantity: 100, limit: 4_210, plan: {}, brokerRejects: true },
  { scenario: 'sell, filled in three parts', symbol: 'GLOBX', side: 'sell', quantity: 400, limit: 4_820, plan: { fills: [150, 150, 100] } },
  { scenario: 'buy, part filled then cancelled', symbol: 'ACME', side: 'buy', quantity: 300, limit: 12_600, plan: { fills: [120], cancelAfterFills: 1 } },
  { scenario: 'over the quantity limit', symbol: 'ACME', side: 'buy', quantity: 20_000, limit: 12_500, plan: {} },
  { scenario: 'buy, filled in two parts', symbol: 'UMBR', side: 'buy', quantity: 500, limit: 9_000, plan: { fills: [200, 300] } },
  { scenario: 'sell, filled in two parts', symbol: 'GLOBX', side: 'sell', quantity: 120, limit: 4_800, plan: { fills: [60, 60] } },
  { scenario: 'buy, filled in two parts', symbol: 'HOOLI', side: 'buy', quantity: 80, limit: 31_000, plan: { fills: [30, 50] } },
];

const scaled = (n: number, scale: number) => Math.max(1, Math.round(n * scale));

/** Pins one answer of `partner` for the calls of one workflow (and its children, with `:`). */
const pin = (path: string, keyPrefix: string, body: Record<string, unknown>): ScriptEntry => ({
  match: { method: 'POST', path, idempotencyKeyPrefix: keyPrefix },
  outcome: 'ok',
  body,
});

/** Everything one run starts, opens and scripts; every id carries the run id, so reruns never collide. */
export function buildMix(runId: string, scale: number): DemoMix {
  const acct = (name: string) => `${runId}-${name}`;
  const accounts: AccountSpec[] = [
    ...[1, 2, 3, 4].map((k) => ({ id: acct(`payer-eur-${k}`), owner: `Payer ${k}`, balance: eur(200_000_000) })),
    { id: acct('payer-gbp'), owner: 'UK payer', balance: { value: 50_000_000, currency: 'GBP' } },
    { id: acct('payer-poor'), owner: 'Payer with little money', balance: eur(5_000) },
    ...(['EUR', 'USD', 'GBP'] as const).map((c) => ({ id: acct(`payee-${c.toLowerCase()}`), owner: `Payee ${c}`, balance: { value: 0, currency: c } })),
    { id: acct('lender-eur'), owner: 'Demo lender', balance: eur(1_000_000_000) },
    { id: acct('trader'), owner: 'Demo trading desk', balance: eur(5_000_000_000) },
  ];
  const workflows: PlannedWorkflow[] = [];
  const fraud: ScriptEntry[] = [];
  const credit: ScriptEntry[] = [];
  const broker: ScriptEntry[] = [];

  for (let i = 0; i < scaled(BASE_COUNTS.payments, scale); i++) {
    const s = PAYMENTS[i % PAYMENTS.length];
    const workflowId = acct(`pay-${pad(i + 1, 3)}`);
    const debtor = s.payer === 'eur' ? acct(`payer-eur-${(i % 4) + 1}`) : acct(`payer-${s.payer}`);
    const currency = s.payer === 'gbp' ? 'GBP' : 'EUR';
    // Spread amounts between 100 and ~5,100 (minor units): a poor payer's 50 never covers one.
    const amount = { value: 10_000 + ((i * 7_919) % 500_000), currency };
    workflows.push({
      type: 'payment-settlement',
      workflowId,
      scenario: s.scenario,
      input: { paymentId: `${workflowId}-p`, debtorAccount: debtor, creditorAccount: acct(`payee-${s.to.toLowerCase()}`), amount, creditorCurrency: s.to },
      plan: s.plan ?? {},
    });
    fraud.push(pin('/fraud/scores', `${workflowId}:`, { score: s.score }));
  }

  for (let i = 0; i < scaled(BASE_COUNTS.loans, scale); i++) {
    const s = LOANS[i % LOANS.length];
    const workflowId = acct(`loan-${pad(i + 1, 2)}`);
    const borrower = acct(`borrower-${pad(i + 1, 2)}`);
    accounts.push({ id: borrower, owner: `Borrower ${i + 1}`, balance: eur(0) });
    workflows.push({
      type: 'loan-approval',
      workflowId,
      scenario: s.scenario,
      input: {
        applicationId: `${workflowId}-app`,
        applicant: { id: `${workflowId}-applicant`, name: `Borrower ${i + 1}`, country: 'DE', dateOfBirth: '1985-06-15', documents: passport() },
        amount: eur(s.amount),
        termMonths: 12 * (1 + (i % 5)),
        disbursementAccount: borrower,
        lenderAccount: acct('lender-eur'),
      },
      plan: s.plan,
    });
    credit.push(pin('/credit/reports', `${workflowId}/`, { score: s.creditScore }));
    // The disbursement's own fraud check (a grandchild) should pass by rules.
    if (s.disburses) fraud.push(pin('/fraud/scores', `${workflowId}:`, { score: 5 }));
  }

  for (let i = 0; i < scaled(BASE_COUNTS.kyc, scale); i++) {
    const s = KYC[i % KYC.length];
    const workflowId = acct(`kyc-${pad(i + 1, 2)}`);
    workflows.push({
      type: 'kyc-verification',
      workflowId,
      scenario: s.scenario,
      input: { applicantId: `${workflowId}-applicant`, name: s.name, country: s.country, dateOfBirth: '1990-01-31', ...(s.documents ? { documents: s.documents } : {}) },
      plan: s.plan,
    });
  }

  for (let i = 0; i < scaled(BASE_COUNTS.trades, scale); i++) {
    const s = TRADES[i % TRADES.length];
    const workflowId = acct(`trade-${pad(i + 1, 2)}`);
    workflows.push({
      type: 'trade-execution',
      workflowId,
      scenario: s.scenario,
      input: { orderId: `${workflowId}-o`, account: acct('trader'), symbol: s.symbol, side: s.side, quantity: s.quantity, limitPrice: eur(s.limit) },
      plan: s.plan,
    });
    if (s.brokerRejects) broker.push(pin('/broker/orders', `${workflowId}/`, { status: 'rejected', rejectReason: 'symbol halted by the venue' }));
  }

  return {
    accounts,
    workflows,
    scripts: [
      { partner: 'fraud', entries: fraud },
      { partner: 'credit', entries: credit },
      { partner: 'broker', entries: broker },
    ],
  };
}
