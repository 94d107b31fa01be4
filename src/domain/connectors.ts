import type { ConnectorConditions, HeldReservation } from './types';

/**
 * The connectors' conditions and which specific reservation holds each, with the counts the
 * reserve_now rules need kept up to date on every change, so no rule scans the connectors.
 */
export class ConnectorTable {
  private readonly conditions: ConnectorConditions[] = [];
  private readonly holders = new Map<number, HeldReservation>();
  /** Available (not faulted, disabled or occupied) and held by no specific reservation. */
  freeCount = 0;
  faultedCount = 0;
  /** Faulted or disabled. */
  blockedCount = 0;

  constructor(readonly count: number) {
    for (let connector = 1; connector <= count; connector++) {
      this.conditions[connector] = { faulted: false, disabled: false, occupied: false };
    }
    this.freeCount = count;
  }

  has(connector: number): boolean {
    return Number.isInteger(connector) && connector >= 1 && connector <= this.count;
  }

  conditionsOf(connector: number): Readonly<ConnectorConditions> {
    return this.at(connector);
  }

  isAvailable(connector: number): boolean {
    const { faulted, disabled, occupied } = this.at(connector);
    return !faulted && !disabled && !occupied;
  }

  isFree(connector: number): boolean {
    return this.isAvailable(connector) && !this.holders.has(connector);
  }

  holder(connector: number): HeldReservation | undefined {
    return this.holders.get(connector);
  }

  setCondition(connector: number, condition: keyof ConnectorConditions, value: boolean): void {
    this.recount(connector, () => {
      this.at(connector)[condition] = value;
    });
  }

  hold(connector: number, reservation: HeldReservation): void {
    this.recount(connector, () => this.holders.set(connector, reservation));
  }

  release(connector: number): void {
    this.recount(connector, () => this.holders.delete(connector));
  }

  private at(connector: number): ConnectorConditions {
    const conditions = this.conditions[connector];
    if (!conditions) throw new RangeError(`no connector ${connector}`);
    return conditions;
  }

  private recount(connector: number, change: () => void): void {
    this.tally(connector, -1);
    change();
    this.tally(connector, 1);
  }

  private tally(connector: number, sign: 1 | -1): void {
    const { faulted, disabled } = this.at(connector);
    if (this.isFree(connector)) this.freeCount += sign;
    if (faulted) this.faultedCount += sign;
    if (faulted || disabled) this.blockedCount += sign;
  }
}
