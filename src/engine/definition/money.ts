import { z } from 'zod';

/**
 * The ISO 4217 codes this Node's ICU lists: the current ones and some recently withdrawn
 * (HRK), none of the non-currencies (XXX, XTS, XAU). The list moves with ICU releases; only
 * a start input or an event is checked against it, so a running instance keeps its amounts.
 */
export const CURRENCY_CODES: readonly string[] = Intl.supportedValuesOf('currency');

/** An ISO 4217 currency code, e.g. `EUR`: what a money amount of a definition's input or event carries. */
export const currencyCode = z.enum(CURRENCY_CODES as [string, ...string[]], { message: 'an ISO 4217 currency code, e.g. EUR' });
