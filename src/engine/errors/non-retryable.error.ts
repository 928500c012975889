/**
 * Thrown by an activity for a permanent failure (a business refusal, bad data): the engine
 * delivers the error event at once instead of burning retries.
 */
export class NonRetryableError extends Error {
  override readonly name: string = 'NonRetryableError';
  readonly nonRetryable = true;

  constructor(message: string, readonly details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
  }
}
