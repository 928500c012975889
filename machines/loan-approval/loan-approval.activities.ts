import type { ActivityContext, EffectContext } from '../../src/engine';
import type { PartnersClient } from '../../src/partners';
import type { Money } from '../shared/money';
import type { CreditReportInput, CreditReportResult } from './loan-approval.types';

/**
 * Letters to the applicant and the underwriting queue have no partner in the sandbox yet: a
 * structured log line stands in. Ids only: the amount, term and reasons of a person's loan
 * stay in the workflow, never in a log.
 */
function notify(what: string, params: { applicationId: string; applicantId?: string }, ctx: EffectContext): void {
  const ids = { applicationId: params.applicationId, ...(params.applicantId ? { applicantId: params.applicantId } : {}) };
  process.stdout.write(
    `${JSON.stringify({ level: 'info', time: new Date().toISOString(), msg: what, ...ids, workflowId: ctx.workflowId, effect: ctx.effect, idempotencyKey: ctx.idempotencyKey })}\n`,
  );
}

/** The loan's own I/O: the credit bureau through the partners client, and the letters it sends. */
export function createLoanApprovalActivities(partners: PartnersClient) {
  return {
    async pullCreditReport(input: CreditReportInput, ctx: ActivityContext): Promise<CreditReportResult> {
      const report = await partners.credit.report(
        { applicantId: input.applicantId, purpose: 'loan-application' },
        { idempotencyKey: ctx.idempotencyKey, signal: ctx.signal },
      );
      return { score: report.score };
    },

    async escalateUnderwriting(params: { applicationId: string; amount: Money; referralReason: string | null }, ctx: EffectContext): Promise<void> {
      notify('loan underwriting escalated', params, ctx);
    },

    async sendOffer(params: { applicationId: string; applicantId: string; amount: Money; termMonths: number; validForMs: number }, ctx: EffectContext): Promise<void> {
      notify('loan offer sent', params, ctx);
    },

    async withdrawOffer(params: { applicationId: string; applicantId: string; reason: string | null }, ctx: EffectContext): Promise<void> {
      notify('loan offer withdrawn', params, ctx);
    },

    async sendAdverseActionNotice(params: { applicationId: string; applicantId: string; reason: string | null }, ctx: EffectContext): Promise<void> {
      notify('loan adverse action notice sent', params, ctx);
    },
  };
}
