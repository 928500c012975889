import { z } from 'zod';
import { currencyCode } from '../../src/engine';

export const moneySchema = z.object({
  value: z.number().int().positive(),
  currency: currencyCode,
});
