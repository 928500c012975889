/**
 * Refusals the engine already wrote into a workflow's history (a four-eyes refusal, an event
 * not accepted, a cancellation refused): the API's refusal recorder must not record them twice.
 */
const recorded = new WeakSet<object>();

export function markRecorded<E extends Error>(err: E): E {
  recorded.add(err);
  return err;
}

export function isRecorded(err: unknown): boolean {
  return typeof err === 'object' && err !== null && recorded.has(err);
}
