// What EVerest's Auth ReservationHandler does, by brute force, written from its C++ semantics
// (is_reservation_possible, get_all_possible_orders, can_virtual_car_arrive and the checks they
// call, check_number_global_reservations_match_number_available_evses): every distinct arrival
// order and every choice of EVSE. Exponential on purpose: it is the reference the polynomial
// engine in src/domain/guarantee.ts is tested and benchmarked against. It shares no code with it.
import type { GuaranteeEvse } from '../../src/domain/guarantee';
import type { ConnectorType } from '../../src/domain/types';

const UNKNOWN = 'Unknown';

/** Thrown when a search runs past its deadline (the benchmark's cap). */
export class ReferenceTimeout extends Error {}

/** How many search steps pass between looks at the clock. */
const CLOCK_EVERY = 4096;

interface Search {
  evses: readonly GuaranteeEvse[];
  deadline: number;
  steps: number;
}

/** has_evse_connector_type: Unknown asked takes any EVSE; otherwise a connector of that type or Unknown, in any state. */
function hasConnectorType(evse: GuaranteeEvse, type: ConnectorType): boolean {
  if (type === UNKNOWN) return true;
  return evse.connectors.some((c) => c.type === UNKNOWN || c.type === type);
}

/** get_evse_connector_state_reservation_result == Accepted: no car, no EVSE-specific reservation. */
function evseStateAccepts(evse: GuaranteeEvse): boolean {
  return !evse.occupied && !evse.reserved;
}

/** get_connector_availability_reservation_result == Accepted: a matching connector is AVAILABLE. */
function connectorAvailable(evse: GuaranteeEvse, type: ConnectorType): boolean {
  return evse.connectors.some((c) => (c.type === type || c.type === UNKNOWN || type === UNKNOWN) && c.available);
}

/** Every distinct order of the multiset `types` (what get_all_possible_orders yields, as a set). */
function distinctOrders(types: readonly ConnectorType[]): ConnectorType[][] {
  if (types.length === 0) return [];
  const orders: ConnectorType[][] = [];
  const remaining = new Map<ConnectorType, number>();
  for (const t of types) remaining.set(t, (remaining.get(t) ?? 0) + 1);
  const prefix: ConnectorType[] = [];
  const extend = (): void => {
    if (prefix.length === types.length) {
      orders.push([...prefix]);
      return;
    }
    for (const [t, left] of remaining) {
      if (left === 0) continue;
      remaining.set(t, left - 1);
      prefix.push(t);
      extend();
      prefix.pop();
      remaining.set(t, left);
    }
  };
  extend();
  return orders;
}

/** can_virtual_car_arrive: the first car of `order` finds an EVSE, and whichever it takes, so do the rest. */
function canArrive(search: Search, used: readonly number[], order: readonly ConnectorType[]): boolean {
  if (++search.steps % CLOCK_EVERY === 0 && Date.now() > search.deadline) throw new ReferenceTimeout();
  const [car] = order as [ConnectorType];
  let possible = false;
  for (let evse = 0; evse < search.evses.length; evse++) {
    if (used.includes(evse)) continue;
    const e = search.evses[evse] as GuaranteeEvse;
    if (!(evseStateAccepts(e) && hasConnectorType(e, car) && connectorAvailable(e, car))) continue;
    possible = true;
    if (order.length === 1) return true;
    if (!canArrive(search, [...used, evse], order.slice(1))) return false;
  }
  return possible;
}

/**
 * is_reservation_possible(type, held, specific): the held station-wide types plus `another`
 * (when given) against every order and choice, after the count check.
 */
export function referencePossible(
  evses: readonly GuaranteeEvse[],
  held: readonly ConnectorType[],
  another?: ConnectorType,
  options: { deadline?: number } = {},
): boolean {
  const types = another === undefined ? [...held] : [...held, another];
  const specific = evses.filter((e) => e.reserved).length;
  if (types.length + specific > evses.length) return false;
  const search: Search = { evses, deadline: options.deadline ?? Infinity, steps: 0 };
  return distinctOrders(types).every((order) => canArrive(search, [], order));
}

/** The guarantee as EVerest decides it; past `deadline` (epoch ms) it throws {@link ReferenceTimeout}. */
export function referenceKeeps(evses: readonly GuaranteeEvse[], held: readonly ConnectorType[], options: { deadline?: number } = {}): boolean {
  return referencePossible(evses, held, undefined, options);
}

/** The same station with EVSE `index` taken by an EVSE-specific reservation or by a car. */
export function withEvseTaken(evses: readonly GuaranteeEvse[], index: number, asReserved: boolean): GuaranteeEvse[] {
  return evses.map((e, i) => (i !== index ? e : asReserved ? { ...e, reserved: true } : { ...e, occupied: true }));
}

/** The newest reservations removed one at a time until EVerest would accept what is left. */
export function referenceNewestToRemove(evses: readonly GuaranteeEvse[], held: readonly ConnectorType[]): number {
  let removed = 0;
  while (!referenceKeeps(evses, held.slice(0, held.length - removed))) removed++;
  return removed;
}

/**
 * check_number_global_reservations_match_number_available_evses: which EVSEs get reserve(-1).
 * `undefined` is a reservation without a type (std::nullopt), passed to is_reservation_possible as is.
 */
export function referenceShownReserved(evses: readonly GuaranteeEvse[], held: readonly (ConnectorType | undefined)[]): Set<number> {
  const available = new Set<number>();
  evses.forEach((e, i) => {
    if (evseStateAccepts(e) && connectorAvailable(e, UNKNOWN)) available.add(i);
  });
  if (available.size === held.length) return available;
  const types = held.map((t) => t ?? UNKNOWN);
  const reserved = new Set<number>();
  for (const type of held) {
    if (referencePossible(evses, types, type)) continue;
    evses.forEach((e, i) => {
      if (available.has(i) && hasConnectorType(e, type ?? UNKNOWN)) reserved.add(i);
    });
  }
  return reserved;
}
