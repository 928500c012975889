import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow } from '../../src/engine';

/**
 * Versions of one small process for impact analysis: a score is checked (a signal), a high one
 * goes to review, a low one is rejected; a review approves.
 * - v1: the process as deployed;
 * - v2 adds a state (archiving after the review): nothing recorded so far changes;
 * - v3 raises the score a review needs from 50 to 90: an instance scored 80 diverges;
 * - v4 renames `reviewing`: an instance waiting there cannot be restored.
 */
function scored(version: number, options: { threshold?: number; archiving?: boolean; reviewing?: string } = {}) {
  const reviewing = options.reviewing ?? 'reviewing';
  const machine = setup({
    types: { context: {} as { score: number | null }, events: {} as { type: 'check.done'; score: number } | { type: 'review.done' } },
    guards: { highEnough: ({ event }) => event.type === 'check.done' && event.score > (options.threshold ?? 50) },
  }).createMachine({
    id: 'scored',
    initial: 'checking',
    context: { score: null },
    states: {
      checking: { on: { 'check.done': [{ guard: 'highEnough', target: reviewing }, { target: 'rejected' }] } },
      [reviewing]: { on: { 'review.done': options.archiving ? 'archiving' : 'approved' } },
      ...(options.archiving ? { archiving: { always: 'approved' } } : {}),
      approved: { type: 'final' },
      rejected: { type: 'final', meta: { outcome: 'rejection' } },
    },
  });
  return defineWorkflow({
    type: 'test-scored',
    version,
    machine,
    input: z.object({}),
    events: { 'check.done': z.object({ score: z.number() }), 'review.done': z.object({}) },
    exampleInput: {},
  });
}

export const scoredV1 = scored(1);
export const scoredV2 = scored(2, { archiving: true });
export const scoredV3 = scored(3, { threshold: 90 });
export const scoredV4 = scored(4, { reviewing: 'underReview' });
