import { z } from 'zod';
import { parseStrict } from '../../src/engine/definition/strict-parse';
import { currencyCode } from '../../src/engine';

const fill = z.object({ fillId: z.string(), price: z.object({ value: z.number(), currency: currencyCode }), tags: z.record(z.string(), z.string()).optional() });
const issues = (r: ReturnType<typeof parseStrict>) => (r.success ? [] : r.error.issues.map((i) => i.path.join('.')).sort());

test('a member no schema declares is refused at any depth, in arrays too', () => {
  expect(issues(parseStrict(fill, { fillId: 'F1', price: { value: 1, currency: 'EUR', fx: 1.1 }, extra: true }))).toEqual(['extra', 'price.fx']);
  expect(issues(parseStrict(z.object({ legs: z.array(z.object({ id: z.string() })) }), { legs: [{ id: 'a' }, { id: 'b', x: 1 }] }))).toEqual(['legs.1.x']);
});

test('declared members, records and loose objects pass with their keys', () => {
  expect(parseStrict(fill, { fillId: 'F1', price: { value: 1, currency: 'EUR' }, tags: { desk: 'fx' } })).toMatchObject({ success: true });
  expect(parseStrict(z.looseObject({ a: z.number() }), { a: 1, b: 2 })).toMatchObject({ success: true, data: { a: 1, b: 2 } });
});

test('no schema declares nothing: only the empty payload passes', () => {
  expect(parseStrict(undefined, {})).toMatchObject({ success: true });
  expect(issues(parseStrict(undefined, { note: 'x' }))).toEqual(['note']);
});

test('a currency is an ISO 4217 code the runtime knows', () => {
  expect(['EUR', 'USD', 'JPY', 'KWD', 'CHF'].every((c) => currencyCode.safeParse(c).success)).toBe(true);
  expect(['ABC', 'XXX', 'eur', 'EURO', ''].some((c) => currencyCode.safeParse(c).success)).toBe(false);
});
