// The public definition API: what a statechart's folder in machines/ may import.
export {
  activity,
  defineWorkflow,
  effect,
  DEFAULT_RETRY_POLICY,
  DEFAULT_CANCEL_EVENT,
  type ActivityContext,
  type CancellationRequested,
  type ActivityDefinition,
  type EffectContext,
  type EffectDefinition,
  type RetryPolicy,
  type WorkflowDefinition,
} from './definition/definition';
export { NonRetryableError } from './errors/non-retryable.error';
export { ActivityTimeoutError } from './errors/activity-timeout.error';
export { humanTask, type HumanTaskSpec } from './definition/human-task';
export { currencyCode } from './definition/money';
export { businessDays, type BusinessDelay } from './definition/calendars';
