import { activityDone, activityFailed, planCoverage, simulate, timerEvents } from 'statera/testing';
import { __name__ } from './index';

// The model: the events worth trying in each state. @xstate/graph walks the machine with
// them and the plan picks paths that together take every transition.
const plan = planCoverage(__name__.machine, {
  inputs: [{ requestId: 'R-model', amount: { value: 5000, currency: 'EUR' }, customer: 'C-1' }],
  events: (s) =>
    s.matches('checking')
      ? [activityDone('checkRequest', { approved: true, reason: 'ok' }), activityDone('checkRequest', { approved: false, reason: 'no' }), activityFailed('checkRequest', { message: 'down' })]
      : [{ type: '__type__.confirmed', by: 'ops-1' }, { type: 'cancellation.requested' }, ...timerEvents(s)],
});

test('the paths take every transition of the machine', () => {
  expect(plan.uncovered).toEqual([]);
});

test('every path runs through the definition (schemas included) to the state the model says', () => {
  for (const path of plan.paths) {
    const { snapshot } = simulate(__name__, path.input, ...path.steps.map((s) => s.event));
    expect(snapshot.value).toEqual(path.steps[path.steps.length - 1].state.value);
  }
});
