import { z } from 'zod';
import type { Money } from '../partners/types';

export type { Money };

/** Minor-unit exponent per supported ISO 4217 code (JPY has none, KWD/BHD have three). */
export const CURRENCY_EXPONENT: Readonly<Record<string, number>> = {
  USD: 2, EUR: 2, GBP: 2, CHF: 2, JPY: 0, CAD: 2, AUD: 2, SEK: 2,
  NOK: 2, DKK: 2, PLN: 2, CZK: 2, HUF: 2, KWD: 3, BHD: 3,
};


export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'must be an ISO 4217 alphabetic code')
  .refine((c) => Object.hasOwn(CURRENCY_EXPONENT, c), 'currency is not supported by the sandbox');

/** Positive amount: every movement of money must move something. */
export const moneySchema = z.object({
  value: z.int().min(1, 'must be a positive integer amount in minor units'),
  currency: currencySchema,
});

export const nonNegativeMoneySchema = z.object({
  value: z.int().min(0, 'must be a non-negative integer amount in minor units'),
  currency: currencySchema,
});

export function money(value: number, currency: string): Money {
  return { value, currency };
}
