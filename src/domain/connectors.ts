import type { ConnectorConditions, HeldReservation } from './types';

/** One bit per condition, a byte per connector: a station of 100,000 connectors costs 100 KB, not an object each. */
const BIT: Readonly<Record<keyof ConnectorConditions, number>> = { faulted: 1, disabled: 2, occupied: 4 };

/**
 * The connectors' conditions and which specific reservation holds each, with the counts the
 * reserve_now rules need kept up to date on every change, so no rule scans the connectors.
 */
export class ConnectorTable {
  /** Indexed by connector (1-based; index 0 unused). */
  private readonly conditions: Uint8Array;
  private readonly holders: Array<HeldReservation | undefined>;
  /** Available (not faulted, disabled or occupied) and held by no specific reservation. */
  freeCount = 0;
  faultedCount = 0;
  /** Faulted or disabled. */
  blockedCount = 0;

  constructor(readonly count: number) {
    this.conditions = new Uint8Array(count + 1);
    this.holders = new Array<HeldReservation | undefined>(count + 1).fill(undefined);
    this.freeCount = count;
  }

  has(connector: number): boolean {
    return Number.isInteger(connector) && connector >= 1 && connector <= this.count;
  }

  conditionsOf(connector: number): Readonly<ConnectorConditions> {
    const bits = this.bitsOf(connector);
    return { faulted: (bits & BIT.faulted) !== 0, disabled: (bits & BIT.disabled) !== 0, occupied: (bits & BIT.occupied) !== 0 };
  }

  isAvailable(connector: number): boolean {
    return this.bitsOf(connector) === 0;
  }

  isFree(connector: number): boolean {
    return this.isAvailable(connector) && this.holders[connector] === undefined;
  }

  holder(connector: number): HeldReservation | undefined {
    return this.holders[connector];
  }

  setCondition(connector: number, condition: keyof ConnectorConditions, value: boolean): void {
    this.recount(connector, () => {
      const bits = this.bitsOf(connector);
      this.conditions[connector] = value ? bits | BIT[condition] : bits & ~BIT[condition];
    });
  }

  hold(connector: number, reservation: HeldReservation): void {
    this.recount(connector, () => {
      this.holders[connector] = reservation;
    });
  }

  release(connector: number): void {
    this.recount(connector, () => {
      this.holders[connector] = undefined;
    });
  }

  private bitsOf(connector: number): number {
    if (!this.has(connector)) throw new RangeError(`no connector ${connector}`);
    return this.conditions[connector] as number;
  }

  private recount(connector: number, change: () => void): void {
    this.tally(connector, -1);
    change();
    this.tally(connector, 1);
  }

  private tally(connector: number, sign: 1 | -1): void {
    const bits = this.bitsOf(connector);
    if (this.isFree(connector)) this.freeCount += sign;
    if (bits & BIT.faulted) this.faultedCount += sign;
    if (bits & (BIT.faulted | BIT.disabled)) this.blockedCount += sign;
  }
}
