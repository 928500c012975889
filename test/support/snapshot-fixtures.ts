import type { AnyMachineSnapshot } from 'xstate';
import { planCoverage } from '../../src/testing/coverage';
import { loadDefinitions } from '../../src/bootstrap/definitions';
import { stateKey } from '../../src/engine/loop/migration';
import { fraudCheckScenario } from '../model/fraud-check.scenario';
import { kycVerificationScenario } from '../model/kyc-verification.scenario';
import { loanApprovalScenario } from '../model/loan-approval.scenario';
import { paymentSettlementScenario } from '../model/payment-settlement.scenario';
import { tradeExecutionScenario } from '../model/trade-execution.scenario';
import type { ModelScenario } from '../model/support/scenario';

/** Where the fixtures live: one file per definition version, `<type>@<version>.json`. */
export const FIXTURES_DIR = 'test/fixtures/snapshots';

const SCENARIOS: ModelScenario[] = [fraudCheckScenario, kycVerificationScenario, loanApprovalScenario, paymentSettlementScenario, tradeExecutionScenario];

/**
 * One persisted snapshot per state each process's model reaches (its first, on the model's
 * paths), as XState persists it: what instances in the database hold. Kept in the repository
 * and restored by test/unit/snapshot-fixtures.test.ts, so an upgrade of xstate that changes
 * the persisted shape, or a machine change that strands a state, fails the suite.
 */
export function snapshotFixtures(): { type: string; version: number; snapshots: Record<string, unknown> }[] {
  // The registered machines (children included, as the engine runs them), walked with the models' events.
  const registered = loadDefinitions('http://127.0.0.1:1');
  return SCENARIOS.map((scenario) => {
    const definition = registered.find((d) => d.type === scenario.type)!;
    const plan = planCoverage(definition.machine, scenario);
    const snapshots: Record<string, unknown> = {};
    const keep = (s: AnyMachineSnapshot) => {
      const key = stateKey(s.value);
      snapshots[key] ??= definition.machine.getPersistedSnapshot(s);
    };
    for (const path of plan.paths) {
      keep(path.initial);
      for (const step of path.steps) keep(step.state);
    }
    return { type: definition.type, version: definition.version, snapshots: Object.fromEntries(Object.entries(snapshots).sort(([a], [b]) => a.localeCompare(b))) };
  });
}
