import type { AnyMachineSnapshot } from 'xstate';
import { demoTransfer } from '../../machines/demo-transfer';
import { doneEvent, errorEvent, timerEvents, type ModelScenario } from './support/scenario';
import { runModel, type ModelRun } from './support/runner';

/** The demonstration process: its reservation fails on its own when told to, so nothing needs arranging. */
const scenario: ModelScenario = {
  type: 'demo-transfer',
  definitions: () => [demoTransfer],
  inputs: [
    { transferId: 'T-ok', amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts: 0 },
    { transferId: 'T-down', amount: { value: 100, currency: 'EUR' }, from: 'A', to: 'B', failFirstAttempts: 10 },
  ],
  events: (s: AnyMachineSnapshot) => {
    if (s.matches('reserving')) {
      return s.context.failFirstAttempts > 0
        ? [errorEvent('reserveFunds', { name: 'Error', message: 'bank unavailable' })]
        : [doneEvent('reserveFunds', { holdId: 'hold-model' })];
    }
    return [{ type: 'transfer.approved', approver: 'ops-1' }, { type: 'transfer.rejected', approver: 'ops-2', reason: 'limits' }, { type: 'cancellation.requested' }, ...timerEvents(s)];
  },
};

let run: ModelRun;
beforeAll(async () => {
  run = await runModel(scenario);
}, 120_000);
afterAll(() => run?.close());

test('demo-transfer: the paths cover every transition', () => {
  expect(run.plan.uncovered).toEqual([]);
});

test('demo-transfer: every path runs on the engine as the model says', () => {
  expect(run.failures).toEqual([]);
});
