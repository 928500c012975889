import { setup } from 'xstate';
import { z } from 'zod';
import { createDefinitions } from '../../machines';
import { defineWorkflow } from '../../src/engine';
import { runPath } from '../../src/diagrams/path-runs';
import { complianceReport } from '../../src/diagrams/report';
import { stopSvgRenderer } from '../../src/diagrams/svg';
import { pathsToFinalStates } from '../../src/diagrams/paths';
import { buildStatechartModel } from '../../src/diagrams/statechart-model';
import { PartnersClient } from '../../src/partners';

const definitions = createDefinitions({ partners: new PartnersClient({ baseUrl: 'http://127.0.0.1:1' }) });
const fraud = definitions.find((d) => d.type === 'fraud-check')!;
afterAll(() => stopSvgRenderer());

const runs = (definition: typeof fraud) => {
  const model = buildStatechartModel(definition);
  return pathsToFinalStates(model).map((p) => ({ path: p.states.join(' > '), run: runPath(definition, model, p) }));
};

test("every path of fraud-check is shown to run: its score guards are evaluated over the activity's declared answers", () => {
  const all = runs(fraud);
  expect(all.length).toBeGreaterThan(4);
  expect(all.filter((r) => !r.run.shown)).toEqual([]);
  expect(all.find((r) => r.path === 'scoring > approved')!.run).toEqual({ shown: true, events: ['done: scoreTransaction {"score":0}'] });
});

test("without the activity's answers, a path behind a guard over them is not shown, and says why", () => {
  const bare = { ...fraud, activities: { scoreTransaction: { ...fraud.activities!.scoreTransaction, exampleAnswers: undefined } } };
  const notShown = runs(bare).filter((r) => !r.run.shown);
  expect(notShown.length).toBeGreaterThan(0);
  expect(notShown[0].run).toMatchObject({ shown: false, step: 0, why: expect.stringContaining('depends on the answer of scoreTransaction') });
});

test('a guard no payload its schema allows can satisfy is reported at its step; the payload that does satisfy one is found', () => {
  const machine = setup({
    types: { events: {} as { type: 'grade.given'; grade: 'A' | 'B'; reference: string } },
    guards: { isTopGrade: ({ event }) => (event.grade as string) === 'S', isOurs: ({ context, event }) => event.reference === (context as { ref: string }).ref },
  }).createMachine({
    id: 'grading',
    context: { ref: 'R-77' },
    initial: 'open',
    states: {
      open: { on: { 'grade.given': [{ guard: 'isTopGrade', target: 'honours' }, { guard: 'isOurs', target: 'passed' }] } },
      honours: { type: 'final' },
      passed: { type: 'final' },
    },
  });
  const grading = defineWorkflow({
    type: 'grading',
    version: 1,
    machine,
    input: z.object({}),
    exampleInput: {},
    events: { 'grade.given': z.object({ grade: z.enum(['A', 'B']), reference: z.string() }) },
  });
  const byPath = Object.fromEntries(runs(grading).map((r) => [r.path, r.run]));
  expect(byPath['open > honours']).toEqual({ shown: false, step: 0, why: 'no payload the schema of grade.given allows made [isTopGrade] hold' });
  // The reference must be the instance's own: tried from the context's strings.
  expect(byPath['open > passed']).toEqual({ shown: true, events: ['grade.given {"grade":"A","reference":"R-77"}'] });
});

test('the compliance report marks each path: shown to run with its events, or the step and the reason it was not', async () => {
  const report = await complianceReport(fraud);
  const total = runs(fraud).length;
  expect(report).toContain(`${total} of ${total} paths were shown to run on the machine itself`);
  expect(report.match(/data-run="shown"/g)).toHaveLength(total);
  const payment = await complianceReport(definitions.find((d) => d.type === 'payment-settlement')!);
  expect(payment).toMatch(/data-run="not-shown">[^<]*—/);
  expect(payment).toContain('not shown</span> <small>at step 1: its guard depends on the answer of validatePayment');
});
