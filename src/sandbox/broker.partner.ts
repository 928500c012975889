import { z } from 'zod';
import { money, moneySchema, type Money } from './money';
import { adminPost, created, get, IdSequence, iso, ok, post, type PartnerModule } from './partner';
import { notFound, problem } from './problem';

type OrderStatus = 'accepted' | 'rejected' | 'partially_filled' | 'filled' | 'cancelled';

interface Fill {
  id: string;
  quantity: number;
  price: Money;
  at: number;
}

interface Order {
  id: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  limitPrice?: Money;
  clientOrderId?: string;
  status: OrderStatus;
  rejectReason?: string;
  fills: Fill[];
  createdAt: number;
  cancelledAt?: number;
}

/** Orders above this size are refused, giving a script-free way to obtain a reject. */
export const MAX_ORDER_QUANTITY = 1_000_000;

const fillSchema = z.object({ quantity: z.int().min(1), price: moneySchema.optional() });
const orderSchema = z.object({
  symbol: z.string().regex(/^[A-Z]{1,5}(\.[A-Z]{1,2})?$/, 'ticker such as ACME or BRK.B'),
  side: z.enum(['buy', 'sell']),
  quantity: z.int().min(1),
  limitPrice: moneySchema.optional(),
  clientOrderId: z.string().max(64).optional(),
});
const overrideSchema = z.strictObject({
  status: z.enum(['accepted', 'rejected']).optional(),
  rejectReason: z.string().max(140).optional(),
  fills: z.array(fillSchema).max(100).optional(),
});

export function createBrokerPartner(): PartnerModule {
  let ids = new IdSequence();
  let orders = new Map<string, Order>();

  const orderOf = (id: string): Order => {
    const order = orders.get(id);
    if (!order) throw notFound('order', id);
    return order;
  };

  const filled = (o: Order): number => o.fills.reduce((n, f) => n + f.quantity, 0);

  const view = (o: Order): Record<string, unknown> => {
    const qty = filled(o);
    const currency = o.fills[0]?.price.currency;
    const notional = o.fills.reduce((n, f) => n + f.quantity * f.price.value, 0);
    return {
      id: o.id,
      symbol: o.symbol,
      side: o.side,
      quantity: o.quantity,
      limitPrice: o.limitPrice ?? null,
      clientOrderId: o.clientOrderId ?? null,
      status: o.status,
      rejectReason: o.rejectReason ?? null,
      filledQuantity: qty,
      remainingQuantity: o.status === 'accepted' || o.status === 'partially_filled' ? o.quantity - qty : 0,
      averagePrice: currency ? money(Math.round(notional / qty), currency) : null,
      fills: o.fills.map((f) => ({ id: f.id, quantity: f.quantity, price: f.price, at: iso(f.at) })),
      createdAt: iso(o.createdAt),
      cancelledAt: o.cancelledAt === undefined ? null : iso(o.cancelledAt),
    };
  };

  /** Enforces what an exchange would: no overfill, limit respected, only live orders fill. */
  const addFill = (o: Order, fill: z.infer<typeof fillSchema>, now: number): void => {
    if (o.status !== 'accepted' && o.status !== 'partially_filled') throw problem('order-not-fillable', `Order '${o.id}' is ${o.status}`);
    if (filled(o) + fill.quantity > o.quantity) throw problem('order-not-fillable', `Fill of ${fill.quantity} exceeds the ${o.quantity - filled(o)} remaining`);
    const price = fill.price ?? o.limitPrice;
    if (!price) throw problem('order-not-fillable', 'A market order fill needs an explicit price');
    if (o.limitPrice) {
      if (price.currency !== o.limitPrice.currency) throw problem('currency-mismatch', `Order is priced in ${o.limitPrice.currency}`);
      const violates = o.side === 'buy' ? price.value > o.limitPrice.value : price.value < o.limitPrice.value;
      if (violates) throw problem('order-not-fillable', `Price ${price.value} violates the ${o.side} limit ${o.limitPrice.value}`);
    }
    o.fills.push({ id: ids.next('fill'), quantity: fill.quantity, price, at: now });
    o.status = filled(o) === o.quantity ? 'filled' : 'partially_filled';
  };

  return {
    name: 'broker',
    overrideSchema,
    routes: [
      post('/orders', orderSchema, (body, { now, override }) => {
        const ov = overrideSchema.parse(override ?? {});
        const order: Order = { id: ids.next('ord'), ...body, status: 'accepted', fills: [], createdAt: now };
        if (ov.status === 'rejected') {
          Object.assign(order, { status: 'rejected', rejectReason: ov.rejectReason ?? 'scripted-reject' });
        } else if (ov.status !== 'accepted' && body.quantity > MAX_ORDER_QUANTITY) {
          Object.assign(order, { status: 'rejected', rejectReason: 'quantity-limit-exceeded' });
        }
        for (const fill of order.status === 'accepted' ? (ov.fills ?? []) : []) addFill(order, fill, now);
        orders.set(order.id, order);
        return created(view(order));
      }),
      get('/orders/:id', ({ params }) => ok(view(orderOf(params.id)))),
      post('/orders/:id/cancel', z.object({}), (_body, { params, now }) => {
        const o = orderOf(params.id);
        if (o.status !== 'accepted' && o.status !== 'partially_filled') {
          throw problem('order-not-cancellable', `Order '${o.id}' is ${o.status}`);
        }
        Object.assign(o, { status: 'cancelled', cancelledAt: now });
        return ok(view(o));
      }),
    ],
    adminRoutes: [
      adminPost('/orders/:id/fills', fillSchema, (body, { params, now }) => {
        const o = orderOf(params.id);
        addFill(o, body, now);
        return created(view(o));
      }),
    ],
    reset() {
      ids = new IdSequence();
      orders = new Map();
    },
  };
}
