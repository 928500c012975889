import { z } from 'zod';
import { created, IdSequence, post, type PartnerModule } from './partner';

/** A tiny fictional watch list: deterministic hits without any real person's name. */
export const WATCHLIST: ReadonlyArray<{ name: string; list: string; kind: 'hit' | 'pep' }> = [
  { name: 'IVAN BLOCKOV', list: 'SANDBOX-SANCTIONS', kind: 'hit' },
  { name: 'ACME SHELL HOLDINGS', list: 'SANDBOX-SANCTIONS', kind: 'hit' },
  { name: 'PAULA MINISTRA', list: 'SANDBOX-PEP', kind: 'pep' },
];
/** Embargoed countries (ISO 3166-1 alpha-2) yield a hit whatever the name. */
export const EMBARGOED = new Set(['KP', 'IR', 'SY', 'CU']);

const screeningSchema = z.object({
  name: z.string().min(1).max(200),
  country: z.string().regex(/^[A-Z]{2}$/, 'ISO 3166-1 alpha-2'),
  dateOfBirth: z.iso.date().optional(),
});
const overrideSchema = z.strictObject({ result: z.enum(['clear', 'hit', 'pep']).optional() });

const normalise = (name: string): string => name.normalize('NFKD').replace(/[^\p{L}\p{N} ]/gu, '').trim().replace(/\s+/g, ' ').toUpperCase();

export function screen(name: string, country: string): { result: 'clear' | 'hit' | 'pep'; matches: { list: string; name: string }[] } {
  const matches = WATCHLIST.filter((w) => w.name === normalise(name));
  if (EMBARGOED.has(country)) return { result: 'hit', matches: [{ list: 'SANDBOX-EMBARGO', name: country }, ...matches] };
  if (matches.some((m) => m.kind === 'hit')) return { result: 'hit', matches };
  if (matches.length > 0) return { result: 'pep', matches };
  return { result: 'clear', matches: [] };
}

export function createSanctionsPartner(): PartnerModule {
  let ids = new IdSequence();
  return {
    name: 'sanctions',
    overrideSchema,
    routes: [
      post('/screenings', screeningSchema, (body, { override }) => {
        const ov = overrideSchema.parse(override ?? {});
        const found = screen(body.name, body.country);
        return created({
          id: ids.next('scr'),
          name: body.name,
          country: body.country,
          result: ov.result ?? found.result,
          matches: ov.result ? [] : found.matches.map(({ list, name }) => ({ list, name })),
        });
      }),
    ],
    reset() {
      ids = new IdSequence();
    },
  };
}
