import { runModel, type ModelRun } from './support/runner';
import { loanApprovalScenario } from './loan-approval.scenario';

let run: ModelRun;
beforeAll(async () => {
  run = await runModel(loanApprovalScenario);
}, 180_000);
afterAll(() => run?.close());

test('loan-approval: the paths cover every transition', () => {
  expect(run.plan.uncovered).toEqual([]);
});

test('loan-approval: every path runs on the engine as the model says', () => {
  expect(run.failures).toEqual([]);
});
