import type { CurrencyTotals, LedgerTotals } from '../partners/types';
import { money, type Money } from './money';
import { iso, type IdSequence } from './partner';
import { notFound, problem } from './problem';

export type { CurrencyTotals, LedgerTotals };

export type AccountKind = 'customer' | 'equity' | 'clearing';

export interface Account {
  id: string;
  kind: AccountKind;
  owner?: string;
  currency: string;
  /** Ledger balance, minor units. */
  balance: number;
  /** Sum of active holds; reduces what can be spent without being a ledger movement. */
  held: number;
  createdAt: number;
}

export interface Entry {
  accountId: string;
  /** Signed minor units: negative = debit of the source, positive = credit of the destination. */
  value: number;
}

export interface Posting {
  id: string;
  kind: 'account-opening' | 'transfer-submission' | 'transfer-settlement' | 'transfer-return' | 'transfer-reversal' | 'hold-capture';
  reference: string;
  currency: string;
  entries: [Entry, Entry];
  at: number;
}

/**
 * Double-entry book: money only ever moves through `move`, which writes one balanced
 * pair of entries. Opening balances come from a per-currency equity account (the only
 * account allowed to go negative) so the grand total per currency never changes.
 */
export class Ledger {
  readonly accounts = new Map<string, Account>();
  readonly postings: Posting[] = [];

  constructor(private readonly ids: IdSequence) {}

  system(kind: 'equity' | 'clearing', currency: string, now: number): Account {
    const id = `bank:${kind}:${currency}`;
    let account = this.accounts.get(id);
    if (!account) {
      account = { id, kind, currency, balance: 0, held: 0, createdAt: now };
      this.accounts.set(id, account);
    }
    return account;
  }

  open(id: string | undefined, owner: string | undefined, initial: Money, now: number): Account {
    const accountId = id ?? this.ids.next('acc');
    if (this.accounts.has(accountId)) throw problem('account-exists', `Account '${accountId}' already exists`);
    const account: Account = { id: accountId, kind: 'customer', owner, currency: initial.currency, balance: 0, held: 0, createdAt: now };
    this.accounts.set(accountId, account);
    if (initial.value > 0) {
      const equity = this.system('equity', initial.currency, now);
      this.move(equity.id, accountId, initial, 'account-opening', accountId, now);
    }
    return account;
  }

  customer(id: string): Account {
    const account = this.accounts.get(id);
    if (!account || account.kind !== 'customer') throw notFound('account', id);
    return account;
  }

  available(account: Account): number {
    return account.balance - account.held;
  }

  requireCurrency(account: Account, amount: Money): void {
    if (account.currency !== amount.currency) {
      throw problem('currency-mismatch', `Account '${account.id}' is in ${account.currency}, amount is in ${amount.currency}`);
    }
  }

  requireAvailable(account: Account, amount: Money): void {
    if (account.kind === 'customer' && this.available(account) < amount.value) {
      throw problem('insufficient-funds', `Account '${account.id}' has ${this.available(account)} ${account.currency} available, ${amount.value} needed`, {
        accountId: account.id,
        available: money(this.available(account), account.currency),
        requested: amount,
      });
    }
  }

  move(fromId: string, toId: string, amount: Money, kind: Posting['kind'], reference: string, now: number): Posting {
    const from = this.accounts.get(fromId);
    const to = this.accounts.get(toId);
    if (!from) throw notFound('account', fromId);
    if (!to) throw notFound('account', toId);
    this.requireCurrency(from, amount);
    this.requireCurrency(to, amount);
    this.requireAvailable(from, amount);
    if (from.kind === 'clearing' && from.balance < amount.value) {
      throw new Error(`clearing account ${from.id} would go negative`);
    }
    from.balance -= amount.value;
    to.balance += amount.value;
    const posting: Posting = {
      id: this.ids.next('pst'),
      kind,
      reference,
      currency: amount.currency,
      entries: [
        { accountId: fromId, value: -amount.value },
        { accountId: toId, value: amount.value },
      ],
      at: now,
    };
    this.postings.push(posting);
    return posting;
  }

  totals(): LedgerTotals {
    const currencies: Record<string, CurrencyTotals> = {};
    for (const a of this.accounts.values()) {
      const t = (currencies[a.currency] ??= { total: 0, customer: 0, equity: 0, clearing: 0, accounts: 0 });
      t.total += a.balance;
      t[a.kind] += a.balance;
      if (a.kind === 'customer') t.accounts++;
    }
    const balanced = this.postings.every((p) => p.entries[0].value + p.entries[1].value === 0);
    return { currencies, postings: this.postings.length, balanced };
  }

  view(account: Account): Record<string, unknown> {
    return {
      id: account.id,
      owner: account.owner ?? null,
      currency: account.currency,
      balance: money(account.balance, account.currency),
      held: money(account.held, account.currency),
      available: money(this.available(account), account.currency),
      createdAt: iso(account.createdAt),
    };
  }
}
