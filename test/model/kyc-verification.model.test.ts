import { runModel, type ModelRun } from './support/runner';
import { kycVerificationScenario } from './kyc-verification.scenario';

let run: ModelRun;
beforeAll(async () => {
  run = await runModel(kycVerificationScenario);
}, 180_000);
afterAll(() => run?.close());

test('kyc-verification: the paths cover every transition', () => {
  expect(run.plan.uncovered).toEqual([]);
});

test('kyc-verification: every path runs on the engine as the model says', () => {
  expect(run.failures).toEqual([]);
});
