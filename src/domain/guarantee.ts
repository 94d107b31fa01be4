// The station-wide guarantee (spec §5) in polynomial time. EVerest tries every arrival order and
// every choice of EVSE. Drivers that arrive before driver r can be any subset of the others, each
// on any distinct EVSE usable for its own type, so the guarantee fails exactly when, for some
// held type t, the reservations other than one of type t can be placed so that they take every
// EVSE usable for t: a maximum flow from those reservations onto the EVSEs usable for t
// saturates those EVSEs (none usable fails at once). EVerest's count check follows from this
// (see decide) and stays as a shortcut. Reservations of one type are alike, and so are EVSEs
// usable for the same held types, so the flow runs between those classes with capacities: one
// small flow per distinct held type.

/** A connector type as EVerest names it (ConnectorTypeEnum); 'Unknown' matches every type. */
export type ConnectorType = string;

/** The type that matches every type, on either side (also what a reservation without a type asks for). */
export const UNKNOWN_TYPE = 'Unknown';

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

/** The guarantee with these station-wide reservation types held (count check included). */
export function keepsGuarantee(evses: readonly GuaranteeEvse[], stationWide: readonly ConnectorType[]): boolean {
  return new StationCapacity(evses).keeps(stationWide);
}

/** Free EVSEs (no car, no EVSE-specific reservation, some connector available) alike: the types of their available connectors. */
type Profile = readonly ConnectorType[];

/** EVSEs usable for the same held types, merged for one question. */
interface EvseClass {
  count: number;
  /** Indexed like the question's distinct types. */
  usable: boolean[];
}

/** One station state, prepared for several guarantee questions about it. */
export class StationCapacity {
  private readonly evseCount: number;
  private readonly specificCount: number;
  private readonly profiles: Profile[] = [];
  /** Free EVSEs per profile. */
  private readonly freeCounts: number[] = [];
  /** Per EVSE: its profile, or -1 when it is not free. */
  private readonly profileOf: number[];
  private readonly reservedAt: boolean[];

  constructor(evses: readonly GuaranteeEvse[]) {
    this.evseCount = evses.length;
    this.reservedAt = evses.map((e) => e.reserved);
    this.specificCount = this.reservedAt.filter(Boolean).length;
    const profileByKey = new Map<string, number>();
    this.profileOf = evses.map((evse) => {
      if (evse.occupied || evse.reserved) return -1;
      const types = [...new Set(evse.connectors.filter((c) => c.available).map((c) => c.type))].sort();
      if (types.length === 0) return -1;
      // NUL cannot appear in a type name, so it separates them safely.
      const key = types.join('\u0000');
      let profile = profileByKey.get(key);
      if (profile === undefined) {
        profile = this.profiles.push(types) - 1;
        profileByKey.set(key, profile);
        this.freeCounts.push(0);
      }
      this.freeCounts[profile] = (this.freeCounts[profile] ?? 0) + 1;
      return profile;
    });
  }

  /** The guarantee with these station-wide reservation types held: the same answer as {@link keepsGuarantee}. */
  keeps(stationWide: readonly ConnectorType[]): boolean {
    return this.decide(stationWide, this.specificCount, this.freeCounts);
  }

  /** Could one more station-wide reservation of `type` be added with the guarantee kept? */
  acceptsAnother(stationWide: readonly ConnectorType[], type: ConnectorType): boolean {
    return this.keeps([...stationWide, type]);
  }

  /**
   * Would the guarantee still hold if EVSE `index` became unusable: taken by an EVSE-specific
   * reservation (`asReserved`: one more of them, unless it already holds one) or by a car?
   * An EVSE that is unusable already changes nothing but that count.
   */
  keepsWithout(stationWide: readonly ConnectorType[], index: number, asReserved: boolean): boolean {
    const profile = this.profileOf[index];
    if (profile === undefined) throw new RangeError(`no EVSE at index ${index}`);
    const counts = [...this.freeCounts];
    if (profile >= 0) counts[profile] = (counts[profile] ?? 0) - 1;
    const specific = this.specificCount + (asReserved && !this.reservedAt[index] ? 1 : 0);
    return this.decide(stationWide, specific, counts);
  }

  private decide(stationWide: readonly ConnectorType[], specificCount: number, freeCounts: readonly number[]): boolean {
    const held = stationWide.length;
    // A shortcut only: n drivers need n distinct usable EVSEs, and a reserved EVSE is not usable,
    // so a station over the count fails below as well (EVerest's search too).
    if (held + specificCount > this.evseCount) return false;
    const demand = new Map<ConnectorType, number>();
    for (const type of stationWide) demand.set(type, (demand.get(type) ?? 0) + 1);
    const types = [...demand.keys()];
    const classes = this.classesFor(types, freeCounts);
    return types.every((_, t) => {
      const usableForT = classes.filter((c) => c.usable[t]);
      const needed = usableForT.reduce((sum, c) => sum + c.count, 0);
      if (needed === 0) return false;
      // The others are too few to take every EVSE usable for t.
      if (needed > held - 1) return true;
      const others = types.map((type, i) => (demand.get(type) ?? 0) - (i === t ? 1 : 0));
      return largestPlacement(others, usableForT, needed) < needed;
    });
  }

  private classesFor(types: readonly ConnectorType[], freeCounts: readonly number[]): EvseClass[] {
    const byUsable = new Map<string, EvseClass>();
    this.profiles.forEach((profile, p) => {
      const count = freeCounts[p] ?? 0;
      if (count === 0) return;
      const usable = types.map((type) => profile.some((have) => typesMatch(type, have)));
      if (!usable.includes(true)) return;
      const key = usable.map((u) => (u ? '1' : '0')).join('');
      const existing = byUsable.get(key);
      if (existing) existing.count += count;
      else byUsable.set(key, { count, usable });
    });
    return [...byUsable.values()];
  }
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
export function newestToRemove(evses: readonly GuaranteeEvse[], stationWide: readonly ConnectorType[]): number {
  const station = new StationCapacity(evses);
  let low = 0;
  let high = stationWide.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (station.keeps(stationWide.slice(0, stationWide.length - middle))) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * The EVSE indexes EVerest tells `reserve(-1)` ("Showing Reserved", spec §5; EVerest's
 * check_number_global_reservations_match_number_available_evses). Available EVSEs are those
 * usable for Unknown. As many as station-wide reservations: all of them. Otherwise, for each held
 * type t that could not take one more reservation of type t, the available EVSEs having a
 * connector matching t in any state (every one, for Unknown).
 *
 * An entry `undefined` is a reservation made without a type: EVerest asks then whether the
 * current reservations keep the guarantee, not whether one more could be added, and if not
 * shows every available EVSE. Elsewhere it counts as Unknown.
 */
export function shownReserved(evses: readonly GuaranteeEvse[], stationWide: readonly (ConnectorType | undefined)[]): Set<number> {
  const available = evses.flatMap((evse, i) => (usableFor(evse, UNKNOWN_TYPE) ? [i] : []));
  if (available.length === stationWide.length) return new Set(available);
  const station = new StationCapacity(evses);
  const held = stationWide.map((t) => t ?? UNKNOWN_TYPE);
  const shown = new Set<number>();
  for (const entry of new Set(stationWide)) {
    const full = entry === undefined ? !station.keeps(held) : !station.acceptsAnother(held, entry);
    if (!full) continue;
    const type = entry ?? UNKNOWN_TYPE;
    for (const i of available) if ((evses[i] as GuaranteeEvse).connectors.some((c) => typesMatch(type, c.type))) shown.add(i);
  }
  return shown;
}
