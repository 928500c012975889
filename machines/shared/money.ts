/** Integer minor units plus an ISO 4217 code: never a float. */
export interface Money {
  value: number;
  currency: string;
}
