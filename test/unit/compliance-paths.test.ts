import { demoTransfer } from '../../machines/demo-transfer';
import { createDefinitions } from '../../machines';
import { SandboxClient } from '../../src/sandbox/client';
import { pathsToFinalStates } from '../../src/diagrams/paths';
import { buildStatechartModel } from '../../src/diagrams/statechart-model';

test('every path from the start to each final state of demo-transfer, as @xstate/graph enumerates them', () => {
  const paths = pathsToFinalStates(buildStatechartModel(demoTransfer)).map((p) => `${p.states.join(' > ')} | ${p.steps.join(', ')}`);
  expect(paths.sort()).toEqual(
    [
      'reserving > awaitingApproval > completed | done: reserveFunds, transfer.approved',
      'reserving > awaitingApproval > rejected | done: reserveFunds, transfer.rejected',
      'reserving > awaitingApproval > cancelled | done: reserveFunds, cancellation.requested',
      'reserving > awaitingApproval > expired | done: reserveFunds, after 10 min (approvalTimeout)',
      'reserving > rejected | error: reserveFunds',
    ].sort(),
  );
});

test('every process has paths to each of its final states', () => {
  for (const d of createDefinitions({ partners: new SandboxClient({ baseUrl: 'http://127.0.0.1:1' }) })) {
    const model = buildStatechartModel(d);
    const finals = model.nodes.filter((n) => n.type === 'final' && n.parent === model.rootId).map((n) => n.key);
    const reached = new Set(pathsToFinalStates(model).map((p) => p.final));
    expect({ type: d.type, reached: finals.filter((f) => reached.has(f)) }).toEqual({ type: d.type, reached: finals });
  }
});
