import { activityDone, activityFailed, simulate, timerFired } from 'statera/testing';
import { __name__ } from './index';

const input = { requestId: 'R-1', amount: { value: 5000, currency: 'EUR' }, customer: 'C-1' };

test('an approved request waits for its confirmation and completes, notifying the customer once', () => {
  const { snapshot, steps } = simulate(
    __name__,
    input,
    activityDone('checkRequest', { approved: true, reason: 'ok' }),
    { type: '__type__.confirmed', by: 'ops-1' },
  );
  expect(snapshot.value).toBe('completed');
  expect(snapshot.context.confirmedBy).toBe('ops-1');
  // The confirmation cancels the timer and runs the effect: what the engine does after this step.
  expect(steps[1].effects).toContainEqual({ kind: 'effect', name: 'notifyCustomer', params: { requestId: 'R-1', outcome: 'completed' } });
  expect(steps[1].effects.filter((e) => e.kind === 'effect')).toHaveLength(1);
});

test('a refused check ends rejected; an unanswered confirmation expires; a failed check ends failed', () => {
  expect(simulate(__name__, input, activityDone('checkRequest', { approved: false, reason: 'limit' })).snapshot.value).toBe('rejected');
  const waiting = [activityDone('checkRequest', { approved: true, reason: 'ok' }), timerFired('confirmationTimeout', '__type__.awaitingConfirmation')];
  expect(simulate(__name__, input, ...waiting).snapshot.value).toBe('expired');
  expect(simulate(__name__, input, activityFailed('checkRequest', { message: 'partner down' })).snapshot.value).toBe('failed');
});

test('a confirmation without `by` is refused by the event schema', () => {
  expect(() => simulate(__name__, input, activityDone('checkRequest', { approved: true, reason: 'ok' }), { type: '__type__.confirmed' })).toThrow();
});
