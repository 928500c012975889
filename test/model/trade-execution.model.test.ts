import { runModel, type ModelRun } from './support/runner';
import { tradeExecutionScenario } from './trade-execution.scenario';

let run: ModelRun;
beforeAll(async () => {
  run = await runModel(tradeExecutionScenario);
}, 180_000);
afterAll(() => run?.close());

test('trade-execution: the paths cover every transition', () => {
  expect(run.plan.uncovered).toEqual([]);
});

test('trade-execution: every path runs on the engine as the model says', () => {
  expect(run.failures).toEqual([]);
});
