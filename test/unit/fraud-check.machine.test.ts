import { initialTransition, transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { createFraudCheckMachine, defaultFraudCheckConfig, type FraudCheckConfig } from '../../machines/fraud-check/fraud-check.machine';
import { timerEvents } from '../model/support/scenario';

const input = { transactionId: 'PAY-1', amount: { value: 125000, currency: 'EUR' }, payer: 'acc-a', payee: 'acc-b' };

function start(config: FraudCheckConfig = defaultFraudCheckConfig) {
  const machine = createFraudCheckMachine(config);
  const [snapshot, actions] = initialTransition(machine, input);
  return { machine, snapshot: snapshot as AnyMachineSnapshot, actions };
}

function scored(score: number, config?: FraudCheckConfig): AnyMachineSnapshot {
  const { machine, snapshot } = start(config);
  return send(machine, snapshot, { type: 'xstate.done.actor.scoreTransaction', output: { score } } as EventObject);
}

function send(machine: ReturnType<typeof createFraudCheckMachine>, snapshot: AnyMachineSnapshot, event: EventObject): AnyMachineSnapshot {
  return transition(machine, snapshot as never, event as never)[0] as AnyMachineSnapshot;
}

test('starts by scoring the transaction with its context', () => {
  const { snapshot, actions } = start();
  expect(snapshot.value).toBe('scoring');
  expect(actions).toContainEqual(expect.objectContaining({ type: 'xstate.spawnChild', params: expect.objectContaining({ id: 'scoreTransaction', src: 'scoreTransaction', input }) }));
});

test.each([
  [0, 'approved', 'approved', 'rules'],
  [39, 'approved', 'approved', 'rules'],
  [40, 'awaitingReview', null, null],
  [75, 'awaitingReview', null, null],
  [76, 'declined', 'declined', 'rules'],
  [100, 'declined', 'declined', 'rules'],
])('score %i with the default thresholds 40/75 → %s', (score, state, decision, decidedBy) => {
  const s = scored(score);
  expect(s.value).toBe(state);
  expect(s.context).toMatchObject({ score, decision, decidedBy });
  if (decision) expect(s.output).toEqual({ decision, score, decidedBy });
});

test('the thresholds come from the configuration', () => {
  const strict: FraudCheckConfig = { lowThreshold: 10, highThreshold: 20, reviewSlaMs: 1000 };
  expect(scored(15, strict).value).toBe('awaitingReview');
  expect(scored(21, strict).value).toBe('declined');
  expect(scored(15).value).toBe('approved');
});

test('an analyst approves within the SLA', () => {
  const { machine } = start();
  const s = send(machine, scored(55), { type: 'review.approved', reviewer: 'analyst-7', note: 'known customer' } as EventObject);
  expect(s.value).toBe('approved');
  expect(s.context).toMatchObject({ reviewer: 'analyst-7', note: 'known customer', decidedBy: 'analyst' });
  expect(s.output).toEqual({ decision: 'approved', score: 55, decidedBy: 'analyst' });
});

test('an analyst declines', () => {
  const { machine } = start();
  const s = send(machine, scored(60), { type: 'review.declined', reviewer: 'analyst-2' } as EventObject);
  expect(s.value).toBe('declined');
  expect(s.context).toMatchObject({ reviewer: 'analyst-2', note: null });
  expect(s.output).toEqual({ decision: 'declined', score: 60, decidedBy: 'analyst' });
});

test('the review waits on the configured SLA and declines when it lapses', () => {
  const config = { ...defaultFraudCheckConfig, reviewSlaMs: 1234 };
  const machine = createFraudCheckMachine(config);
  const [s0] = initialTransition(machine, input);
  const [review, actions] = transition(machine, s0, { type: 'xstate.done.actor.scoreTransaction', output: { score: 50 } } as never);
  expect(actions).toContainEqual(expect.objectContaining({ type: 'xstate.raise', params: expect.objectContaining({ delay: 1234 }) }));
  const [timer] = timerEvents(review as AnyMachineSnapshot);
  expect(timer.type).toMatch(/^xstate\.after\.reviewSla\./);
  const lapsed = send(machine, review as AnyMachineSnapshot, timer);
  expect(lapsed.value).toBe('declined');
  expect(lapsed.output).toEqual({ decision: 'declined', score: 50, decidedBy: 'sla' });
});

test('review signals are not accepted before scoring or after a decision', () => {
  const { machine, snapshot } = start();
  expect(snapshot.can({ type: 'review.approved', reviewer: 'x' })).toBe(false);
  const approved = scored(5);
  expect(approved.can({ type: 'review.declined', reviewer: 'x' })).toBe(false);
  expect(send(machine, approved, { type: 'review.declined', reviewer: 'x' } as EventObject)).toBe(approved);
});

test('a scorer error fails the check on purpose (a final state tagged failed) and the caller compensates', () => {
  const { machine, snapshot } = start();
  const s = send(machine, snapshot, { type: 'xstate.error.actor.scoreTransaction', error: { name: 'PartnerRejectedError', message: 'refused' } } as EventObject);
  expect(s.status).toBe('done');
  expect(s.value).toBe('scoringFailed');
  expect(s.hasTag('failed')).toBe(true);
});
