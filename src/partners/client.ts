import { context, propagation, SpanKind } from '@opentelemetry/api';
import { inSpan } from '../engine/telemetry/spans';
import {
  isRetryableStatus,
  PartnerRejectedError,
  PartnerUnavailableError,
  type PartnerErrorInit,
} from './errors';
import { CLIENT_PROBLEM_TYPES, type ProblemDetails } from './problem-types';
import type {
  Account, BrokerOrder, CreditReport, FraudScore, FxExecution, FxQuote, FxReversal, Hold, KycCheck, KycDocument,
  LedgerTotals, Money, PartnerName, SanctionsScreening, Transfer,
} from './types';

export * from './errors';
export type * from './types';

export interface PartnersClientOptions {
  /** The partners' gateway, e.g. https://partners.example.internal, or the sandbox's http://127.0.0.1:4010 */
  baseUrl: string;
  /** Per-request deadline, combined with any caller signal (default 10 s). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface MutationOptions {
  /** Required: the same key must be reused when retrying the same logical operation. */
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface ReadOptions {
  signal?: AbortSignal;
  /** Sent as X-Correlation-Key: lets a test script the answers to one workflow's reads. */
  correlationKey?: string;
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Call {
  partner: string;
  operation: string;
  method: Method;
  path: string;
  body?: unknown;
  idempotencyKey?: string;
  correlationKey?: string;
  signal?: AbortSignal;
}

export const enc = encodeURIComponent;

function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

function isProblem(value: unknown): value is ProblemDetails {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}

/**
 * Typed client for the partner APIs, meant for workflow activities (the sandbox serves the
 * same contracts for development and tests). Every mutation
 * takes an Idempotency-Key; failures are PartnerUnavailableError (retry with the same key)
 * or PartnerRejectedError (permanent). A caller-initiated abort that is not a timeout is
 * rethrown as-is: cancellation is not a partner failure and must not be retried.
 */
export class PartnersClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: PartnersClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetch ?? fetch;
  }

  readonly bank = {
    openAccount: (input: { id?: string; owner?: string; initialBalance: Money }, o: MutationOptions) =>
      this.mutate<Account>('bank', 'openAccount', '/bank/accounts', input, o),
    getAccount: (id: string, o?: ReadOptions) => this.read<Account>('bank', 'getAccount', `/bank/accounts/${enc(id)}`, o),
    createHold: (input: { accountId: string; amount: Money; reference?: string }, o: MutationOptions) =>
      this.mutate<Hold>('bank', 'createHold', '/bank/holds', input, o),
    getHold: (id: string, o?: ReadOptions) => this.read<Hold>('bank', 'getHold', `/bank/holds/${enc(id)}`, o),
    releaseHold: (holdId: string, o: MutationOptions) =>
      this.mutate<Hold>('bank', 'releaseHold', `/bank/holds/${enc(holdId)}/release`, {}, o),
    captureHold: (holdId: string, input: { toAccountId: string; amount?: Money }, o: MutationOptions) =>
      this.mutate<Hold>('bank', 'captureHold', `/bank/holds/${enc(holdId)}/capture`, input, o),
    createTransfer: (input: { from: string; to: string; amount: Money; reference?: string; endToEndId?: string }, o: MutationOptions) =>
      this.mutate<Transfer>('bank', 'createTransfer', '/bank/transfers', input, o),
    getTransfer: (id: string, o?: ReadOptions) => this.read<Transfer>('bank', 'getTransfer', `/bank/transfers/${enc(id)}`, o),
    /** What a caller did by its own ids: for after every answer was lost. */
    findHolds: (reference: string, o?: ReadOptions) => this.read<{ items: Hold[] }>('bank', 'findHolds', `/bank/holds/by-reference/${enc(reference)}`, o),
    accountHolds: (accountId: string, o?: ReadOptions) => this.read<{ items: Hold[] }>('bank', 'accountHolds', `/bank/accounts/${enc(accountId)}/holds`, o),
    findTransfersByReference: (reference: string, o?: ReadOptions) =>
      this.read<{ items: Transfer[] }>('bank', 'findTransfersByReference', `/bank/transfers/by-reference/${enc(reference)}`, o),
    findTransfers: (endToEndId: string, o?: ReadOptions) => this.read<{ items: Transfer[] }>('bank', 'findTransfers', `/bank/transfers/by-end-to-end-id/${enc(endToEndId)}`, o),
    reverseTransfer: (id: string, input: { reason?: string }, o: MutationOptions) =>
      this.mutate<Transfer>('bank', 'reverseTransfer', `/bank/transfers/${enc(id)}/reverse`, input, o),
    ledgerTotals: (o?: ReadOptions) => this.read<LedgerTotals>('bank', 'ledgerTotals', '/bank/ledger/totals', o),
  };

  readonly fx = {
    createQuote: (input: { from: string; to: string; amount: Money; reference?: string }, o: MutationOptions) =>
      this.mutate<FxQuote>('fx', 'createQuote', '/fx/quotes', input, o),
    getQuote: (id: string, o?: ReadOptions) => this.read<FxQuote>('fx', 'getQuote', `/fx/quotes/${enc(id)}`, o),
    /** Every quote, executed or not, made with this reference. */
    findQuotes: (reference: string, o?: ReadOptions) => this.read<{ items: FxQuote[] }>('fx', 'findQuotes', `/fx/quotes/by-reference/${enc(reference)}`, o),
    executeQuote: (id: string, o: MutationOptions) =>
      this.mutate<FxExecution>('fx', 'executeQuote', `/fx/quotes/${enc(id)}/execute`, {}, o),
    /** Unwinds an executed deal at its rate; repeating it answers the same. */
    reverseDeal: (id: string, o: MutationOptions) => this.mutate<FxReversal>('fx', 'reverseDeal', `/fx/quotes/${enc(id)}/reverse`, {}, o),
  };

  readonly fraud = {
    score: (input: { transactionId: string; amount: Money; [context: string]: unknown }, o: MutationOptions) =>
      this.mutate<FraudScore>('fraud', 'score', '/fraud/scores', input, o),
  };

  readonly kyc = {
    check: (input: { applicantId: string; documents: KycDocument[] }, o: MutationOptions) =>
      this.mutate<KycCheck>('kyc', 'check', '/kyc/checks', input, o),
  };

  readonly sanctions = {
    screen: (input: { name: string; country: string; dateOfBirth?: string }, o: MutationOptions) =>
      this.mutate<SanctionsScreening>('sanctions', 'screen', '/sanctions/screenings', input, o),
  };

  readonly credit = {
    report: (input: { applicantId: string; purpose?: string }, o: MutationOptions) =>
      this.mutate<CreditReport>('credit', 'report', '/credit/reports', input, o),
  };

  readonly broker = {
    placeOrder: (
      input: { symbol: string; side: 'buy' | 'sell'; quantity: number; limitPrice?: Money; clientOrderId?: string },
      o: MutationOptions,
    ) => this.mutate<BrokerOrder>('broker', 'placeOrder', '/broker/orders', input, o),
    getOrder: (id: string, o?: ReadOptions) => this.read<BrokerOrder>('broker', 'getOrder', `/broker/orders/${enc(id)}`, o),
    cancelOrder: (id: string, o: MutationOptions) =>
      this.mutate<BrokerOrder>('broker', 'cancelOrder', `/broker/orders/${enc(id)}/cancel`, {}, o),
  };

  private mutate<T>(partner: PartnerName, operation: string, path: string, body: unknown, o: MutationOptions): Promise<T> {
    if (!o?.idempotencyKey) return Promise.reject(new TypeError(`${partner}.${operation} requires an idempotencyKey`));
    return this.call<T>({ partner, operation, method: 'POST', path, body, idempotencyKey: o.idempotencyKey, signal: o.signal });
  }

  private read<T>(partner: PartnerName, operation: string, path: string, o?: ReadOptions): Promise<T> {
    return this.call<T>({ partner, operation, method: 'GET', path, signal: o?.signal, correlationKey: o?.correlationKey });
  }

  /**
   * One client span per partner call, child of whatever is active (an activity attempt), with
   * `traceparent` sent along so a partner that traces joins the same trace. With tracing
   * off, the span is the API's no-op and nothing is injected.
   */
  protected call<T>(c: Call): Promise<T> {
    const url = new URL(this.baseUrl + c.path);
    return inSpan(
      `${c.partner}.${c.operation}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': c.method,
          'server.address': url.hostname,
          'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
          'url.path': url.pathname,
          'statera.partner': c.partner,
          'statera.partner.operation': c.operation,
        },
      },
      (span) => this.send<T>(c, span.isRecording() ? (status) => span.setAttribute('http.response.status_code', status) : undefined),
      'statera-partners',
    );
  }

  private async send<T>(c: Call, onStatus?: (status: number) => void): Promise<T> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = c.signal ? AbortSignal.any([c.signal, deadline]) : deadline;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    if (c.body !== undefined) headers['content-type'] = 'application/json';
    if (c.idempotencyKey) headers['idempotency-key'] = c.idempotencyKey;
    if (c.correlationKey) headers['x-correlation-key'] = c.correlationKey;
    propagation.inject(context.active(), headers);
    const base = { partner: c.partner, operation: c.operation, idempotencyKey: c.idempotencyKey };

    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(this.baseUrl + c.path, {
        method: c.method,
        headers,
        body: c.body === undefined ? undefined : JSON.stringify(c.body),
        signal,
      });
      status = res.status;
      onStatus?.(status);
      text = await res.text(); // inside the try: the body can time out too
    } catch (err) {
      if (c.signal?.aborted && !isTimeoutReason(c.signal.reason)) throw c.signal.reason;
      const timedOut = deadline.aborted || isTimeoutReason(c.signal?.reason);
      throw new PartnerUnavailableError({
        ...base,
        reason: timedOut ? 'timeout' : 'network',
        type: timedOut ? CLIENT_PROBLEM_TYPES.timeout : CLIENT_PROBLEM_TYPES.network,
        detail: timedOut ? 'No answer before the deadline' : err instanceof Error ? err.message : String(err),
        cause: err,
      });
    }

    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) {
      if (parsed === undefined) {
        throw new PartnerUnavailableError({ ...base, status, reason: 'invalid-response', type: CLIENT_PROBLEM_TYPES.invalidResponse });
      }
      return parsed as T;
    }
    const problem = isProblem(parsed) ? parsed : undefined;
    const init: PartnerErrorInit = { ...base, status, type: problem?.type ?? 'about:blank', detail: problem?.detail ?? problem?.title, problem };
    throw isRetryableStatus(status) ? new PartnerUnavailableError({ ...init, reason: 'http' }) : new PartnerRejectedError(init);
  }
}
