import { setup } from 'xstate';
import { z } from 'zod';
import { activity, defineWorkflow, effect } from '../../src/engine';
import { retryDelayMs, resolveRetryPolicy } from '../../src/engine/definition/definition';
import { DefinitionRegistry } from '../../src/engine/definition/registry';

const base = { input: z.object({}), exampleInput: {} };
const invoking = setup({ actors: { pay: activity<unknown, unknown>() }, actions: { notify: effect() } }).createMachine({
  id: 'r',
  initial: 'a',
  states: { a: { invoke: { id: 'pay', src: 'pay' } } },
});

test('a definition whose invoke has no activity refuses to register', () => {
  const registry = new DefinitionRegistry([defineWorkflow({ ...base, type: 'no-impl', version: 1, machine: invoking, effects: { notify: { run: async () => undefined } } })]);
  expect(() => registry.validate()).toThrow(/src "pay" is neither an activity nor a registered machine/);
});

test('a named action without an effect implementation refuses to register', () => {
  const registry = new DefinitionRegistry([defineWorkflow({ ...base, type: 'no-effect', version: 1, machine: invoking, activities: { pay: { run: async () => 1 } } })]);
  expect(() => registry.validate()).toThrow(/action "notify" has no effect implementation/);
});

test('versions are kept apart and the latest is the default', () => {
  const m = setup({}).createMachine({ initial: 'a', states: { a: {} } });
  const registry = new DefinitionRegistry([
    defineWorkflow({ ...base, type: 'twice', version: 1, machine: m }),
    defineWorkflow({ ...base, type: 'twice', version: 2, machine: setup({}).createMachine({ initial: 'b', states: { b: {} } }) }),
  ]);
  expect(registry.get('twice').version).toBe(2);
  expect(registry.get('twice', 1).version).toBe(1);
  expect(() => registry.get('twice', 3)).toThrow(/no definition twice@3/);
  expect(() => registry.register(defineWorkflow({ ...base, type: 'twice', version: 1, machine: m }))).toThrow(/registered twice/);
});

test('retry delays grow by the coefficient and stop at the maximum interval', () => {
  const policy = resolveRetryPolicy({ initialIntervalMs: 100, backoffCoefficient: 3, maximumIntervalMs: 1000 });
  expect([1, 2, 3, 4].map((n) => retryDelayMs(policy, n))).toEqual([100, 300, 900, 1000]);
  expect(resolveRetryPolicy({ initialIntervalMs: 200 }).maximumIntervalMs).toBe(20_000);
});
