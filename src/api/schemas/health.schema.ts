import { object, oneOfValues, optional, type Schema } from './dsl';

export const Health = object({ status: oneOfValues(['ok']) }, 'The process serves');

const checks: Schema = {
  type: 'object',
  description: 'by check name (`postgres`, `redis`, `migrations`, `definitions`)',
  additionalProperties: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['up', 'down'] } }, additionalProperties: true },
};
/** @nestjs/terminus's result: `info` the checks that passed, `error` those that failed. */
export const Readiness = object(
  { status: oneOfValues(['ok', 'error', 'shutting_down']), info: optional(checks), error: optional(checks), details: checks },
  'Each dependency checked',
);
