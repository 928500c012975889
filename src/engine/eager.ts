import type { ActivityJob } from './jobs';

/**
 * Eager dispatch: the process that commits a transition runs the activities it scheduled
 * itself, right after the commit, when it has a free slot. No BullMQ job is added and no
 * "is it still wanted?" query is made: the row was written, leased to this process, by the
 * transaction that just committed. The lease is the activity's start-to-close timeout plus
 * this margin; a process that dies holding it lets it lapse, and the sweeper then sends the
 * activity through BullMQ like one whose job was lost.
 */
export const EAGER_LEASE_MARGIN_MS = 10_000;

export interface EagerDispatch {
  /** Reserves a slot for an activity scheduled in a transaction not yet committed; false when none is free. */
  claim(): boolean;
  /** Gives back a reservation whose transaction rolled back. */
  release(): void;
  /** Runs a reserved activity whose row is committed; its result goes through the group commit. */
  run(job: ActivityJob): void;
}
