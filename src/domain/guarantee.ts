// The station-wide guarantee (spec §5) in polynomial time. EVerest tries every arrival order and
// every choice of EVSE. Drivers that arrive before driver r can be any subset of the others, each
// on any distinct EVSE usable for its own type, so the guarantee fails exactly when, for some
// held type t, the reservations other than one of type t can be placed so that they take every
// EVSE usable for t: a maximum flow from those reservations onto the EVSEs usable for t
// saturates those EVSEs (none usable fails at once). EVerest's count check follows from this
// (see keepsGuarantee) and stays as a shortcut. Reservations of one type are alike, and so are EVSEs
// usable for the same held types, so the flow runs between those classes with capacities: one
// small flow per distinct held type.

import { type ConnectorType, UNKNOWN_TYPE } from './types';

/** One connector of an EVSE, as the guarantee sees it. */
export interface GuaranteeConnector {
  type: ConnectorType;
  /** neither disabled nor faulted */
  available: boolean;
}

/** One EVSE of the station, as the guarantee sees it. */
export interface GuaranteeEvse {
  connectors: readonly GuaranteeConnector[];
  /** a car plugged in or charging */
  occupied: boolean;
  /** holds an EVSE-specific reservation */
  reserved: boolean;
}

/** Does type `wanted` match a connector of type `have`? (either Unknown, or equal) */
export function typesMatch(wanted: ConnectorType, have: ConnectorType): boolean {
  return wanted === have || wanted === UNKNOWN_TYPE || have === UNKNOWN_TYPE;
}

/** Is the EVSE usable for `type` now? (no car, no EVSE-specific reservation, an available connector that matches) */
export function usableFor(evse: GuaranteeEvse, type: ConnectorType): boolean {
  return !evse.occupied && !evse.reserved && evse.connectors.some((c) => c.available && typesMatch(type, c.type));
}

/** Usable EVSEs (no car, no EVSE-specific reservation) that offer the same available connector types. */
export interface UsableProfile {
  /** The types of the connectors available there (neither disabled nor faulted), never empty. */
  readonly types: readonly ConnectorType[];
  readonly count: number;
}

/** What the guarantee needs to know of a station: it does not care which EVSE is which. */
export interface StationView {
  /** Every EVSE of the station, whatever its state. */
  evseCount: number;
  /** EVSE-specific reservations held. */
  specificCount: number;
  usable: Iterable<UsableProfile>;
}

/** Whether a usable EVSE offering `types` can take a driver asking for `wanted`. */
export function offers(types: readonly ConnectorType[], wanted: ConnectorType): boolean {
  return types.some((have) => typesMatch(wanted, have));
}

/** What a usable EVSE offers: the types of its available connectors, each once, in one order. */
export function profileOf(availableTypes: readonly ConnectorType[]): ConnectorType[] {
  return [...new Set(availableTypes)].sort();
}

/** One key per profile (a single type is its own key: no string built on the connector interface's path). */
export function profileKey(profile: readonly ConnectorType[]): string {
  // NUL cannot appear in a type name, so it separates them safely.
  return profile.length === 1 ? (profile[0] as string) : profile.join('\u0000');
}

/** The view of a station given EVSE by EVSE. */
export function viewOf(evses: readonly GuaranteeEvse[]): StationView {
  const usable = new Map<string, { types: ConnectorType[]; count: number }>();
  for (const evse of evses) {
    if (evse.occupied || evse.reserved) continue;
    const types = profileOf(evse.connectors.filter((c) => c.available).map((c) => c.type));
    if (types.length === 0) continue;
    const key = profileKey(types);
    const profile = usable.get(key) ?? { types, count: 0 };
    profile.count++;
    usable.set(key, profile);
  }
  return { evseCount: evses.length, specificCount: evses.filter((e) => e.reserved).length, usable: [...usable.values()] };
}

/** The guarantee with these station-wide reservations held: their types, or how many of each type. */
export function keepsGuarantee(station: StationView, stationWide: readonly ConnectorType[] | ReadonlyMap<ConnectorType, number>): boolean {
  const demand = Array.isArray(stationWide) ? countTypes(stationWide) : (stationWide as ReadonlyMap<ConnectorType, number>);
  let held = 0;
  for (const count of demand.values()) held += count;
  // A shortcut only: n drivers need n distinct usable EVSEs, and a reserved EVSE is not usable,
  // so a station over the count fails below as well (EVerest's search too).
  if (held + station.specificCount > station.evseCount) return false;
  const types = [...demand].filter(([, count]) => count > 0).map(([type]) => type);
  const classes = classesFor(types, station.usable);
  return types.every((type, t) => {
    const usableForT = classes.filter((c) => c.usable[t]);
    const needed = usableForT.reduce((sum, c) => sum + c.count, 0);
    if (needed === 0) return false;
    // The others are too few to take every EVSE usable for t.
    if (needed > held - 1) return true;
    const others = types.map((other, i) => (demand.get(other) ?? 0) - (i === t ? 1 : 0));
    return largestPlacement(others, usableForT, needed) < needed;
  });
}

function countTypes(types: readonly ConnectorType[]): Map<ConnectorType, number> {
  const demand = new Map<ConnectorType, number>();
  for (const type of types) demand.set(type, (demand.get(type) ?? 0) + 1);
  return demand;
}

/** EVSEs usable for the same held types, merged for one question. */
interface EvseClass {
  count: number;
  /** Indexed like the question's distinct types. */
  usable: boolean[];
}

function classesFor(types: readonly ConnectorType[], profiles: Iterable<UsableProfile>): EvseClass[] {
  const byUsable = new Map<string, EvseClass>();
  for (const profile of profiles) {
    if (profile.count === 0) continue;
    const usable = types.map((type) => offers(profile.types, type));
    if (!usable.includes(true)) continue;
    const key = usable.map((u) => (u ? '1' : '0')).join('');
    const existing = byUsable.get(key);
    if (existing) existing.count += profile.count;
    else byUsable.set(key, { count: profile.count, usable });
  }
  return [...byUsable.values()];
}

/**
 * How many of the EVSEs in `classes` the reservations (`supply[i]` of the i-th type) can take
 * at once, each on a distinct EVSE usable for its type: a maximum flow, stopped at `enough`.
 */
function largestPlacement(supply: readonly number[], classes: readonly EvseClass[], enough: number): number {
  const unplaced = [...supply];
  const room = classes.map((c) => c.count);
  /** placed[i][c]: reservations of type i on EVSEs of class c. */
  const placed = supply.map(() => classes.map(() => 0));
  let total = 0;
  while (total < enough) {
    const seenType = supply.map(() => false);
    const seenClass = classes.map(() => false);
    // Push up to `amount` from type i along an augmenting path; returns what went through.
    const augment = (i: number, amount: number): number => {
      seenType[i] = true;
      const row = placed[i] as number[];
      for (let c = 0; c < classes.length; c++) {
        if (seenClass[c] || !(classes[c] as EvseClass).usable[i]) continue;
        seenClass[c] = true;
        const free = room[c] as number;
        if (free > 0) {
          const pushed = Math.min(amount, free);
          room[c] = free - pushed;
          row[c] = (row[c] as number) + pushed;
          return pushed;
        }
        // Class c is full: move some other type's reservations off it to somewhere else.
        for (let j = 0; j < supply.length; j++) {
          const theirs = placed[j] as number[];
          const movable = theirs[c] as number;
          if (seenType[j] || movable === 0) continue;
          const moved = augment(j, Math.min(amount, movable));
          if (moved > 0) {
            theirs[c] = (theirs[c] as number) - moved;
            row[c] = (row[c] as number) + moved;
            return moved;
          }
        }
      }
      return 0;
    };
    let pushed = 0;
    for (let i = 0; i < supply.length && pushed === 0; i++) {
      const left = unplaced[i] as number;
      if (left > 0) {
        pushed = augment(i, Math.min(left, enough - total));
        unplaced[i] = left - pushed;
      }
    }
    if (pushed === 0) break;
    total += pushed;
  }
  return total;
}

/**
 * How many of the newest station-wide reservations (`stationWide` oldest first) must end, from
 * the end, until the guarantee holds again: 0 when it holds. Holding fewer never breaks it, so
 * the answer is found by bisection.
 */
export function newestToRemove(station: StationView, stationWide: readonly ConnectorType[]): number {
  // The view's profiles are read once per question: keep them.
  const fixed: StationView = { ...station, usable: [...station.usable] };
  let low = 0;
  let high = stationWide.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (keepsGuarantee(fixed, stationWide.slice(0, stationWide.length - middle))) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The EVSE indexes EVerest tells `reserve(-1)` ("Showing Reserved", spec §5; EVerest's
 * check_number_global_reservations_match_number_available_evses). Available EVSEs are those
 * usable for Unknown. As many as station-wide reservations: all of them. Otherwise, for each held
 * type t that could not take one more reservation of type t, the available EVSEs having a
 * connector matching t in any state (every one, for Unknown). A reservation without a type is
 * one for Unknown here, as everywhere (EVerest asks then only whether the current ones fit).
 */
export function shownReserved(evses: readonly GuaranteeEvse[], stationWide: readonly ConnectorType[]): Set<number> {
  const available = evses.flatMap((evse, i) => (usableFor(evse, UNKNOWN_TYPE) ? [i] : []));
  if (available.length === stationWide.length) return new Set(available);
  const station = viewOf(evses);
  const shown = new Set<number>();
  for (const type of new Set(stationWide)) {
    if (keepsGuarantee(station, [...stationWide, type])) continue;
    for (const i of available) if ((evses[i] as GuaranteeEvse).connectors.some((c) => typesMatch(type, c.type))) shown.add(i);
  }
  return shown;
}
