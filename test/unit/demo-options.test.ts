import { parseOptions } from '../../src/demo/options';

const env = { STATERA_API_KEY: 'stk_x', STATERA_REVIEWER_KEYS: 'stk_a,stk_b' };

test('npm run demo follows the ports npm start was given (PORT, SANDBOX_PORT); explicit URLs win', () => {
  expect(parseOptions([], { ...env })).toMatchObject({ apiUrl: 'http://127.0.0.1:3000', partnersUrl: 'http://127.0.0.1:4010' });
  expect(parseOptions([], { ...env, PORT: '3100', SANDBOX_PORT: '4110' })).toMatchObject({ apiUrl: 'http://127.0.0.1:3100', partnersUrl: 'http://127.0.0.1:4110' });
  expect(parseOptions([], { ...env, PORT: '3100', STATERA_URL: 'http://api.example:80/', PARTNERS_URL: 'http://p.example' })).toMatchObject({ apiUrl: 'http://api.example:80', partnersUrl: 'http://p.example' });
});
