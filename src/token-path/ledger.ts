// What the token path did, for operators: counts (in the snapshot) and one event per narrowed or
// refused token on a topic of this module's own (`watch` and the dashboard show them). Tokens
// appear only redacted, as in the logs.
import type { Publish } from '../module/ports';
import type { TokenCounts } from '../module/snapshot';

export type TokenEventKind = Exclude<keyof TokenCounts, 'passed'>;

/** One event, as published (`at` added): what the log line says, in JSON. */
export type TokenEvent = { kind: TokenEventKind; token: string } & Record<string, unknown>;

export class TokenLedger {
  private readonly tally: TokenCounts = { passed: 0, narrowed: 0, refused: 0, refused_at_validation: 0 };

  constructor(
    private readonly publish: Publish,
    private readonly topic: string,
    private readonly now: () => string,
    /** The counts changed (the snapshot shows them). */
    private readonly changed: () => void,
  ) {}

  get counts(): TokenCounts {
    return { ...this.tally };
  }

  passed(): void {
    this.tally.passed++;
    this.changed();
  }

  narrowed(details: { token: string } & Record<string, unknown>): void {
    this.record({ kind: 'narrowed', ...details });
  }

  refused(details: { token: string } & Record<string, unknown>): void {
    this.record({ kind: 'refused', ...details });
  }

  refusedAtValidation(details: { token: string } & Record<string, unknown>): void {
    this.record({ kind: 'refused_at_validation', ...details });
  }

  private record(event: TokenEvent): void {
    this.tally[event.kind]++;
    this.changed();
    void this.publish(this.topic, JSON.stringify({ at: this.now(), ...event }), 1);
  }
}
