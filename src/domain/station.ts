import { type GuaranteeEvse, offers, profileKey, profileOf, type StationView, typesMatch, usableFor } from './guarantee';
import { type ConnectorType, type EvseLayout, type EvseTally, type HeldReservation, UNKNOWN_TYPE } from './types';

/** One bit per condition, a byte per EVSE: a station of 100,000 connector-EVSEs costs 100 KB, not an object each. */
const FAULTED = 1;
/** A session is active: a car plugged in (or a driver authorised first). */
const SESSION = 2;
/** A transaction runs: charging. */
const TRANSACTION = 4;
const OCCUPIED = SESSION | TRANSACTION;
/** A driver is authorised there, or charging: Auth starts nothing new there (not a condition of the guarantee). */
const AUTHORIZED = 8;

/** What an EVSE without a layout of its own is: one connector, of type Unknown (the connector interface's connectors). */
const SINGLE_UNKNOWN: ReadonlyArray<{ id: number; type: ConnectorType }> = [{ id: 1, type: UNKNOWN_TYPE }];

export interface EvseConditions {
  faulted: boolean;
  session: boolean;
  transaction: boolean;
  /** A driver authorised there, or charging (until deauthorised, the transaction or the session finished). */
  authorized: boolean;
  /** Connector ids disabled. */
  disabled: ReadonlySet<number>;
}

const NO_TYPES: readonly ConnectorType[] = [];
const ONLY_UNKNOWN: readonly ConnectorType[] = [UNKNOWN_TYPE];
const NONE_DISABLED: ReadonlySet<number> = new Set();

/**
 * The station's EVSEs by position (1-based: the EVSE manager connection, the configured
 * layout or the connector), their ids, connectors and conditions, and which EVSE-specific
 * reservation holds each. Keeps, on every change, the tallies the rules need (usable EVSEs by
 * what they offer, conditions counted), so no rule scans a station of connectors.
 */
export class Station {
  private readonly flags: Uint8Array;
  private readonly disabledConnectors = new Map<number, Set<number>>();
  private readonly layouts: Array<EvseLayout | undefined>;
  /** EVSE id at each position; 0 when the position has none (another EVSE manager claimed it). */
  private readonly ids: Int32Array;
  /** Ids not at their own position (id N at position N needs no entry). */
  private readonly movedIds = new Map<number, number>();
  private readonly holders: Array<HeldReservation | undefined>;
  private readonly usable = new Map<string, { types: ConnectorType[]; count: number }>();
  /** The profile key each position is counted under in `usable` (undefined: not usable), so no rule recomputes it. */
  private readonly countedAs: Array<string | undefined>;
  private typedLayouts = 0;
  private holderCount = 0;
  /** Counts every change, so that what is derived from the whole station can be kept until the next one. */
  revision = 0;
  private readonly all: EvseTally;

  constructor(
    readonly evseCount: number,
    layouts: ReadonlyArray<EvseLayout | undefined> = [],
  ) {
    this.flags = new Uint8Array(evseCount + 1);
    this.ids = new Int32Array(evseCount + 1).map((_, position) => position);
    this.layouts = new Array<EvseLayout | undefined>(evseCount + 1).fill(undefined);
    this.holders = new Array<HeldReservation | undefined>(evseCount + 1).fill(undefined);
    this.all = { total: evseCount, occupied: 0, faulted: 0, unavailable: 0 };
    this.countedAs = new Array<string | undefined>(evseCount + 1).fill(profileKey(ONLY_UNKNOWN));
    this.countedAs[0] = undefined;
    if (evseCount > 0) this.usable.set(UNKNOWN_TYPE, { types: [UNKNOWN_TYPE], count: evseCount });
    layouts.forEach((layout, index) => {
      if (layout) this.describe(index + 1, layout);
    });
  }

  /** The position of the EVSE with this id, if the station has it. */
  positionOf(evseId: number): number | undefined {
    const moved = this.movedIds.get(evseId);
    if (moved !== undefined) return moved;
    return Number.isInteger(evseId) && evseId >= 1 && evseId <= this.evseCount && this.ids[evseId] === evseId ? evseId : undefined;
  }

  /** The EVSE id at a position; 0 when it has none. */
  idAt(position: number): number {
    return this.ids[this.checked(position)] as number;
  }

  connectorsAt(position: number): ReadonlyArray<{ id: number; type: ConnectorType }> {
    return this.layouts[this.checked(position)]?.connectors ?? SINGLE_UNKNOWN;
  }

  conditionsAt(position: number): EvseConditions {
    const bits = this.flags[this.checked(position)] as number;
    return {
      faulted: (bits & FAULTED) !== 0,
      session: (bits & SESSION) !== 0,
      transaction: (bits & TRANSACTION) !== 0,
      authorized: (bits & AUTHORIZED) !== 0,
      disabled: this.disabledConnectors.get(position) ?? NONE_DISABLED,
    };
  }

  holder(position: number): HeldReservation | undefined {
    return this.holders[this.checked(position)];
  }

  get specificCount(): number {
    return this.holderCount;
  }

  /** What the guarantee needs: usable EVSEs (no car, no EVSE-specific reservation, a connector available) by what they offer. */
  view(): StationView {
    return { evseCount: this.evseCount, specificCount: this.holderCount, usable: this.usable.values() };
  }

  /**
   * The view as if the EVSE at `position` were taken by an EVSE-specific reservation (a walk-in, or
   * one more reservation there), without changing anything.
   */
  viewWithout(position: number): StationView {
    if (this.holders[this.checked(position)] !== undefined) return this.view();
    const key = this.usableKey(position);
    const usable = key === undefined ? this.usable.values() : [...this.usable].map(([k, entry]) => (k === key ? { types: entry.types, count: entry.count - 1 } : entry));
    return { evseCount: this.evseCount, specificCount: this.holderCount + 1, usable };
  }

  /** The key of what the EVSE at `position` offers while usable (no car, no EVSE-specific reservation, a connector available); undefined otherwise. */
  usableKey(position: number): string | undefined {
    return this.countedAs[this.checked(position)];
  }

  /** The EVSE at `position` as the guarantee sees it, one by one (what shows Reserved depends on which EVSE is which). */
  guaranteeEvse(position: number): GuaranteeEvse {
    const { faulted, disabled } = this.conditionsAt(position);
    return {
      connectors: this.connectorsAt(position).map((c) => ({ type: c.type, available: !faulted && !disabled.has(c.id) })),
      occupied: this.isOccupied(position),
      reserved: this.holders[position] !== undefined,
    };
  }

  /** Whether any connector of the EVSE (in any state) matches `type`. */
  hasType(position: number, type: ConnectorType): boolean {
    return type === UNKNOWN_TYPE || this.connectorsAt(position).some((c) => typesMatch(type, c.type));
  }

  /** Whether any EVSE of the station has a connector matching `type`. */
  anyHasType(type: ConnectorType): boolean {
    if (this.evseCount === 0) return false;
    if (type === UNKNOWN_TYPE || this.typedLayouts === 0) return true;
    return this.positions().some((p) => this.hasType(p, type));
  }

  /** The available connector types at a position: none when faulted, disabled connectors left out. */
  availableTypes(position: number): readonly ConnectorType[] {
    if ((this.flags[this.checked(position)] as number) & FAULTED) return NO_TYPES;
    const disabled = this.disabledConnectors.get(position);
    const layout = this.layouts[position];
    // The connector interface's case, on every change: no allocation.
    if (layout === undefined) return disabled?.has(1) ? NO_TYPES : ONLY_UNKNOWN;
    return profileOf(layout.connectors.filter((c) => !disabled?.has(c.id)).map((c) => c.type));
  }

  isAuthorized(position: number): boolean {
    return ((this.flags[this.checked(position)] as number) & AUTHORIZED) !== 0;
  }

  isOccupied(position: number): boolean {
    return ((this.flags[this.checked(position)] as number) & OCCUPIED) !== 0;
  }

  /** Usable for `type`: no car, no EVSE-specific reservation, and an available connector matching it. */
  usableFor(position: number, type: ConnectorType): boolean {
    return usableFor(this.guaranteeEvse(position), type);
  }

  /** The conditions of the EVSEs having `type`, counted (kept up to date for the connector interface's case). */
  tally(type: ConnectorType): EvseTally {
    if (type === UNKNOWN_TYPE || this.typedLayouts === 0) return { ...this.all };
    const tally: EvseTally = { total: 0, occupied: 0, faulted: 0, unavailable: 0 };
    for (const position of this.positions()) {
      if (!this.hasType(position, type)) continue;
      tally.total++;
      this.count(tally, position, 1, type);
    }
    return tally;
  }

  /** Every position, 1..evseCount. */
  positions(): number[] {
    return Array.from({ length: this.evseCount }, (_, i) => i + 1);
  }

  setFaulted(position: number, faulted: boolean): void {
    this.setFlag(position, FAULTED, faulted);
  }

  setSession(position: number, active: boolean): void {
    this.setFlag(position, SESSION, active);
  }

  setTransaction(position: number, active: boolean): void {
    this.setFlag(position, TRANSACTION, active);
  }

  setAuthorized(position: number, authorized: boolean): void {
    this.setFlag(position, AUTHORIZED, authorized);
  }

  setDisabled(position: number, connectorId: number, disabled: boolean): void {
    this.recount(position, () => {
      const set = this.disabledConnectors.get(position) ?? new Set<number>();
      if (disabled) set.add(connectorId);
      else set.delete(connectorId);
      if (set.size > 0) this.disabledConnectors.set(position, set);
      else this.disabledConnectors.delete(position);
    });
  }

  hold(position: number, reservation: HeldReservation | undefined): void {
    // A holder changes whether the EVSE is usable, never its conditions: only the profiles recount.
    this.checked(position);
    this.classify(position, -1);
    if (this.holders[position] !== undefined) this.holderCount--;
    if (reservation !== undefined) this.holderCount++;
    this.holders[position] = reservation;
    this.classify(position, 1);
    this.revision++;
  }

  /**
   * A new id and connectors for a position (get_evse answered). An EVSE id belongs to one
   * position: another position holding it loses it (and answers for no id until it reports one).
   */
  describe(position: number, layout: EvseLayout): void {
    this.recount(position, () => {
      if (this.layouts[position] !== undefined) this.typedLayouts--;
      this.layouts[position] = { id: layout.id, connectors: layout.connectors.map((c) => ({ id: c.id, type: c.type })) };
      this.typedLayouts++;
    });
    this.assignId(position, layout.id);
  }

  private assignId(position: number, evseId: number): void {
    const current = this.ids[position] as number;
    if (current === evseId) return;
    this.unmapId(current, position);
    const other = this.positionOf(evseId);
    if (other !== undefined) {
      this.unmapId(evseId, other);
      this.ids[other] = 0;
    }
    this.ids[position] = evseId;
    if (evseId !== position) this.movedIds.set(evseId, position);
  }

  private unmapId(evseId: number, position: number): void {
    if (this.movedIds.get(evseId) === position) this.movedIds.delete(evseId);
  }

  private setFlag(position: number, flag: number, value: boolean): void {
    this.recount(position, () => {
      const bits = this.flags[position] as number;
      this.flags[position] = value ? bits | flag : bits & ~flag;
    });
  }

  private checked(position: number): number {
    if (!Number.isInteger(position) || position < 1 || position > this.evseCount) throw new RangeError(`no EVSE at position ${position}`);
    return position;
  }

  private recount(position: number, change: () => void): void {
    this.checked(position);
    this.count(this.all, position, -1);
    this.classify(position, -1);
    change();
    this.count(this.all, position, 1);
    this.classify(position, 1);
    this.revision++;
  }

  private count(tally: EvseTally, position: number, sign: 1 | -1, type: ConnectorType = UNKNOWN_TYPE): void {
    const bits = this.flags[position] as number;
    if (bits & OCCUPIED) tally.occupied += sign;
    if (bits & FAULTED) tally.faulted += sign;
    if (!offers(this.availableTypes(position), type)) tally.unavailable += sign;
  }

  /** Counts the EVSE at `position` in `usable` by what it offers now (+1), or takes it out of where it was counted (-1). */
  private classify(position: number, sign: 1 | -1): void {
    let key = this.countedAs[position];
    if (sign === 1) {
      const types = this.isOccupied(position) || this.holders[position] !== undefined ? NO_TYPES : this.availableTypes(position);
      key = types.length === 0 ? undefined : profileKey(types);
      this.countedAs[position] = key;
      if (key === undefined) return;
      const entry = this.usable.get(key) ?? { types: [...types], count: 0 };
      entry.count += 1;
      this.usable.set(key, entry);
      return;
    }
    this.countedAs[position] = undefined;
    if (key === undefined) return;
    const entry = this.usable.get(key) as { count: number };
    entry.count -= 1;
    if (entry.count <= 0) this.usable.delete(key);
  }
}
