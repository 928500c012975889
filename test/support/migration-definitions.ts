import { setup } from 'xstate';
import { z } from 'zod';
import { defineWorkflow, humanTask } from '../../src/engine';

/**
 * A loan-like process in four versions for migration: a referral waits in `underwriting` for an
 * underwriter's task, with an SLA timer that escalates it.
 * - v1: approve → approved;
 * - v2: the same underwriting (task and timer), but an approval now goes through `disbursing`;
 * - v3: the underwriting task asks something else (another title): its open task would be wrong;
 * - v4: no `underwriting` at all (renamed `manualReview`).
 */
function referral(version: number, options: { disbursing?: boolean; taskTitle?: string; underwriting?: string } = {}) {
  const underwriting = options.underwriting ?? 'underwriting';
  const machine = setup({
    types: { context: {} as { escalated: boolean; approvedBy: string | null }, events: {} as { type: 'check.referred' } | { type: 'underwriting.approved'; underwriter: string } | { type: 'underwriting.declined'; underwriter: string } },
    delays: { underwritingSla: 3_600_000 },
  }).createMachine({
    id: 'referral',
    initial: 'checking',
    context: { escalated: false, approvedBy: null },
    states: {
      checking: { on: { 'check.referred': underwriting } },
      [underwriting]: {
        meta: {
          task: humanTask({ title: options.taskTitle ?? 'Underwrite the referral', candidateGroups: ['underwriters'], decisions: { approve: 'underwriting.approved', decline: 'underwriting.declined' }, principalField: 'underwriter', fourEyes: { excludeInitiator: false } }),
        },
        after: { underwritingSla: 'escalated' },
        on: {
          'underwriting.approved': options.disbursing ? 'disbursing' : 'approved',
          'underwriting.declined': 'declined',
        },
      },
      ...(options.disbursing ? { disbursing: { always: 'approved' } } : {}),
      escalated: { type: 'final', meta: { outcome: 'rejection' } },
      approved: { type: 'final' },
      declined: { type: 'final', meta: { outcome: 'rejection' } },
    },
  });
  return defineWorkflow({ type: 'test-referral', version, machine, input: z.object({}), events: { 'check.referred': z.object({}) }, exampleInput: {} });
}

export const referralV1 = referral(1);
export const referralV2 = referral(2, { disbursing: true });
export const referralV3 = referral(3, { taskTitle: 'Underwrite it differently' });
export const referralV4 = referral(4, { underwriting: 'manualReview' });
