import { bool, int, json, list, nullable, object, openObject, ref, text } from './dsl';

export const RetryPolicy = object({
  initialIntervalMs: int(),
  backoffCoefficient: { type: 'number' },
  maximumIntervalMs: int(),
  maximumAttempts: int('attempts in all, the first included'),
  nonRetryableErrorTypes: list(text()),
});

/** src/api/definitions.presenter.ts `describeDefinition`. */
export const Definition = object(
  {
    type: text(),
    version: int(),
    latest: bool('the version a start without `version` takes'),
    description: nullable(text()),
    input: openObject('the input as JSON Schema'),
    exampleInput: json('an input that runs to a business outcome'),
    events: list(object({ type: text(), payload: openObject('the payload as JSON Schema') }), 'the signals it accepts'),
    cancelEvent: text('the event a cancellation delivers'),
    activities: list(object({ name: text(), retry: ref('RetryPolicy'), startToCloseTimeoutMs: int() })),
    states: list(text(), 'every state as a dotted path'),
  },
  'A registered workflow definition',
);
export const DefinitionList = object({ items: list(ref('Definition')) });
