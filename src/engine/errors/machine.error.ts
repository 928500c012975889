/**
 * The machine could not take an input: its transition threw (a guard, an assign, an invalid
 * definition), or the input left it in XState's `error` status (an error event no state
 * handles). Retrying the same input on the same definition gives the same answer: the engine
 * opens an incident and keeps the input for a retry after a fix.
 */
export class MachineError extends Error {
  override readonly name = 'MachineError';

  constructor(
    message: string,
    /** True when the machine did not throw but left an error event unhandled (no `onError`). */
    readonly unhandledError: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
