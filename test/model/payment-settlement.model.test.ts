import { runModel, type ModelRun } from './support/runner';
import { paymentSettlementScenario } from './payment-settlement.scenario';

let run: ModelRun;
beforeAll(async () => {
  run = await runModel(paymentSettlementScenario);
}, 180_000);
afterAll(() => run?.close());

test('payment-settlement: the paths cover every transition', () => {
  expect(run.plan.uncovered).toEqual([]);
});

test('payment-settlement: every path runs on the engine as the model says', () => {
  expect(run.failures).toEqual([]);
});
