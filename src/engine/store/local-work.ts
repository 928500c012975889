import type { ActivityJob, TimerJob } from './jobs';

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

/**
 * Timers due soon, held in the process whose transaction set them and fired from memory at
 * their due time into a group commit, instead of waiting for BullMQ to promote a delayed job
 * and a worker to pick it up. The BullMQ delayed job is still written, BACKSTOP_MS after the
 * due time: if this process dies, or is busy (a burst of timers due at once), a worker fires
 * the timer from the job, so a burst is shared between this process and the workers. After a
 * fire from memory commits, the backstop job is removed; one that runs anyway reads the
 * timer's row first and stops there when it has fired, and a fire that races the other to the
 * instance's lock is discarded by the database as any late fire is.
 */
export const BACKSTOP_MS = 250;

export interface TimerHold {
  /** Reserves a place for a timer set in a transaction not yet committed; false: BullMQ only. */
  reserve(delayMs: number): boolean;
  /** Gives back a reservation whose transaction rolled back. */
  release(): void;
  /** Holds a reserved timer whose row is committed. */
  hold(job: TimerJob & { dueAt: number }): void;
  /** A timer cancelled by a transaction of this process. */
  cancel(timerId: string): void;
}
