import type { ActivityContext, EffectContext } from '../../src/engine';
import type { PartnersClient } from '../../src/partners';
import type { DocumentCheckInput, DocumentCheckResult, ScreeningInput, ScreeningResult } from './kyc-verification.types';

/**
 * A notification has no partner in the sandbox yet: a structured log line stands in for it.
 * It names the applicant by id only: risk flags (a sanctions or PEP hit) are personal data.
 */
function notify(what: string, params: { applicantId: string }, ctx: EffectContext): void {
  process.stdout.write(
    `${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: what, applicantId: params.applicantId, workflowId: ctx.workflowId, effect: ctx.effect, idempotencyKey: ctx.idempotencyKey })}\n`,
  );
}

/** The KYC process's I/O: the KYC provider and the sanctions screening, through the partners client only. */
export function createKycVerificationActivities(partners: PartnersClient) {
  return {
    async verifyDocuments(input: DocumentCheckInput, ctx: ActivityContext): Promise<DocumentCheckResult> {
      // Nothing to check: the provider would only answer "unclear", so wait for documents instead.
      if (input.documents.length === 0) return { result: 'missing', reasons: [] };
      const check = await partners.kyc.check(
        { applicantId: input.applicantId, documents: input.documents },
        { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
      );
      return { result: check.result, reasons: check.reasons };
    },

    async screenApplicant(input: ScreeningInput, ctx: ActivityContext): Promise<ScreeningResult> {
      const screening = await partners.sanctions.screen(
        { name: input.name, country: input.country, ...(input.dateOfBirth ? { dateOfBirth: input.dateOfBirth } : {}) },
        { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
      );
      return { result: screening.result, lists: [...new Set(screening.matches.map((m) => m.list))] };
    },

    async remindApplicant(params: { applicantId: string }, ctx: EffectContext): Promise<void> {
      notify('kyc documents reminder sent', params, ctx);
    },

    async escalateReview(params: { applicantId: string; riskFlags: string[] }, ctx: EffectContext): Promise<void> {
      notify('kyc compliance review escalated', params, ctx);
    },
  };
}
