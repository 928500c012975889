import type { PartnersClient } from '../../src/partners';

/**
 * The accounts the processes' example inputs and default configuration name, opened in a
 * fresh sandbox so every `exampleInput` runs to a business outcome, not an unknown account.
 */
export const DEMO_ACCOUNTS: { id: string; owner: string; value: number; currency: string }[] = [
  { id: 'acme-gmbh-eur', owner: 'ACME GmbH', value: 50_000_000_00, currency: 'EUR' },
  { id: 'globex-inc-usd', owner: 'Globex Inc.', value: 0, currency: 'USD' },
  { id: 'DE89370400440532013000', owner: 'Jana Novak', value: 5_000_000, currency: 'EUR' },
  { id: 'FR1420041010050500013M02606', owner: 'Claire Martin', value: 0, currency: 'EUR' },
  { id: 'LENDER-FUNDING-EUR', owner: 'Statera Lending', value: 1_000_000_000_00, currency: 'EUR' },
  { id: 'ACC-TRADER-0001', owner: 'Trading desk', value: 1_000_000_000_00, currency: 'EUR' },
  { id: 'BROKER-CLEARING-EUR', owner: 'Broker clearing', value: 1_000_000_000_00, currency: 'EUR' },
  ...['EUR', 'USD', 'GBP', 'CHF'].map((currency) => ({ id: `statera-settlement-${currency.toLowerCase()}`, owner: 'Statera settlement', value: 1_000_000_000_00, currency })),
];

/** Opens the demo accounts; the Idempotency-Keys make it safe to run at every start. */
export async function seedDemoAccounts(partners: PartnersClient): Promise<void> {
  for (const a of DEMO_ACCOUNTS) {
    await partners.bank.openAccount({ id: a.id, owner: a.owner, initialBalance: { value: a.value, currency: a.currency } }, { idempotencyKey: `seed-${a.id}` });
  }
}
