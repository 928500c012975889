/** An attempt outlived its start-to-close timeout; retryable like any transient failure. */
export class ActivityTimeoutError extends Error {
  override readonly name = 'ActivityTimeoutError';

  constructor(readonly timeoutMs: number) {
    super(`attempt exceeded its start-to-close timeout of ${timeoutMs} ms`);
  }
}
