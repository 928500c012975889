import { assign, emit, initialTransition, setup, transition } from 'xstate';
import { toEngineEffects, invokedSources } from '../../src/engine/decider/action-adapter';
import { activity, effect } from '../../src/engine';

const machine = setup({
  types: { context: {} as { n: number }, events: {} as { type: 'go' } | { type: 'back' } },
  actors: { charge: activity<{ n: number }, number>() },
  actions: { notify: effect<{ n: number }>() },
  delays: { patience: 1500 },
}).createMachine({
  id: 'adapter',
  initial: 'idle',
  context: { n: 0 },
  states: {
    idle: {
      on: {
        go: { target: 'working', actions: [assign({ n: ({ context }) => context.n + 1 }), { type: 'notify', params: ({ context }) => ({ n: context.n }) }, emit({ type: 'work.started' })] },
      },
    },
    working: {
      invoke: { id: 'charging', src: 'charge', input: ({ context }) => ({ n: context.n }) },
      after: { patience: 'idle' },
      on: { back: 'idle' },
    },
  },
});

test('entering an invoking state with a delay and a named action yields effect, emit, timer and invoke, in order', () => {
  const [s0] = initialTransition(machine);
  const [, actions] = transition(machine, s0, { type: 'go' });
  expect(toEngineEffects(actions, 'adapter')).toEqual([
    { kind: 'effect', name: 'notify', params: { n: 1 } },
    { kind: 'emit', event: { type: 'work.started' } },
    { kind: 'timer', sendId: 'xstate.after.patience.adapter.working', event: { type: 'xstate.after.patience.adapter.working' }, delayMs: 1500 },
    { kind: 'invoke', childId: 'charging', src: 'charge', input: { n: 1 } },
  ]);
});

test('leaving the state cancels its timer and stops its invocation', () => {
  const [s0] = initialTransition(machine);
  const [s1] = transition(machine, s0, { type: 'go' });
  const [, actions] = transition(machine, s1, { type: 'back' });
  expect(toEngineEffects(actions, 'adapter')).toEqual([
    { kind: 'cancelTimer', sendId: 'xstate.after.patience.adapter.working' },
    { kind: 'stop', childId: 'charging' },
  ]);
});

test('sendParent and sendTo another actor are refused', () => {
  expect(() => toEngineEffects([{ type: 'xstate.sendTo', params: { to: { sessionId: 'x.1' }, event: { type: 'e' } } }], 'm')).toThrow(/sendTo/);
  expect(() => toEngineEffects([{ type: 'xstate.sendParent', params: {} }], 'm')).toThrow(/sendParent/);
  expect(() => toEngineEffects([{ type: 'xstate.raise', params: { event: { type: 'later' }, delay: 10 } }], 'm')).toThrow(/explicit id/);
});

test('invokedSources lists every src, nested states included', () => {
  expect(invokedSources(machine)).toEqual(['charge']);
});
