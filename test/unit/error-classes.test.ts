import { DomainError } from '../../src/engine/errors/domain.error';
import { MachineError } from '../../src/engine/errors/machine.error';
import { incidentKindOf, type KeptInput } from '../../src/engine/loop/incidents';
import { isTransient } from '../../src/engine/store/sql';

const pg = (code: string) => Object.assign(new Error(`pg ${code}`), { code });
const signal: KeptInput = { kind: 'signal', event: { type: 'go' } };
const failedActivity: KeptInput = {
  kind: 'activity',
  job: { workflowId: 'w', invocationId: 'i', type: 't', version: 1, src: 's', activityId: 'a', input: null, idempotencyKey: 'k', attemptsBefore: 0 },
  result: { ok: false, error: { name: 'E', message: 'm' }, attempts: 3, worker: 'x' },
};

test.each([
  ['57014', 'statement timeout'],
  ['53100', 'disk full'],
  ['53200', 'out of memory'],
  ['53300', 'too many connections'],
  ['08P01', 'protocol violation'],
  ['57P01', 'admin shutdown'],
  ['40001', 'serialization failure'],
  ['55P03', 'lock not available'],
])('PostgreSQL %s (%s) is retried, not an incident', (code) => {
  expect(isTransient(pg(code))).toBe(true);
  expect(incidentKindOf(pg(code), signal)).toBeUndefined();
});

test.each([
  ['22P05', 'untranslatable character'],
  ['22003', 'numeric value out of range'],
  ['23505', 'unique violation'],
])('PostgreSQL %s (%s) refuses the input: an incident, not a retry', (code) => {
  expect(isTransient(pg(code))).toBe(false);
  expect(incidentKindOf(pg(code), signal)).toBe('input_invalid');
});

test('the machine throwing, or leaving an error unhandled, is an incident of its kind', () => {
  expect(incidentKindOf(new MachineError('threw', false), signal)).toBe('machine_error');
  expect(incidentKindOf(new MachineError('unhandled', true), failedActivity)).toBe('activity_exhausted');
  expect(incidentKindOf(new DomainError('definition_invalid', 'no effect'), signal)).toBe('machine_error');
});

test('what the engine does not know is retried by default; an unregistered version is parked, not an incident', () => {
  expect(incidentKindOf(new TypeError('something odd'), signal)).toBeUndefined();
  expect(incidentKindOf(new DomainError('definition_not_found', 'no v9'), signal)).toBeUndefined();
  expect(incidentKindOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }), signal)).toBeUndefined();
});
