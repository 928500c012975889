import { runModel, type ModelRun } from './support/runner';
import { fraudCheckScenario } from './fraud-check.scenario';

let run: ModelRun;
beforeAll(async () => {
  run = await runModel(fraudCheckScenario);
}, 180_000);
afterAll(() => run?.close());

test('fraud-check: the paths cover every transition', () => {
  expect(run.plan.uncovered).toEqual([]);
});

test('fraud-check: every path runs on the engine as the model says', () => {
  expect(run.failures).toEqual([]);
});
