import { z } from 'zod';

export const moneySchema = z.object({
  value: z.number().int().positive(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
});
