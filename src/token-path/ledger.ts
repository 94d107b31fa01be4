// What the token path did, for operators: counts (in the snapshot) and one event per narrowed or
// refused token on a topic of this module's own (`watch` and the dashboard show them). Tokens
// appear only redacted, as in the logs.
import type { RemovalReason } from '../domain/token-gate';
import type { Publish } from '../module/ports';
import type { TokenCounts } from '../module/snapshot';

/** Who a token is, as logs and events show it. */
export interface TokenWho {
  /** Redacted as EVerest redacts it. */
  token: string;
  authorization_type: string;
}

/** A token the gate passed on with fewer EVSEs, or with none (refused). */
export interface GateEvent extends TokenWho {
  kind: 'narrowed' | 'refused';
  /** The provider's module id. */
  provider: string;
  evses_asked: number[] | 'all';
  evses_kept: number[];
  removed: Array<{ evse_id: number; why: RemovalReason }>;
}

/** A token the validators accepted and the module answered NotAtThisTime. */
export interface ValidationEvent extends TokenWho {
  kind: 'refused_at_validation';
  evse_id: number;
  why: Exclude<RemovalReason, 'UnknownEvse'>;
}

/** What the token path did with one token, when it took something away. */
export type TokenOutcome = GateEvent | ValidationEvent;

/** One event as published on the token events topic. */
export type TokenEvent = TokenOutcome & { at: string };

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

  record(event: TokenOutcome): void {
    this.tally[event.kind]++;
    this.changed();
    const published: TokenEvent = { at: this.now(), ...event };
    // QoS 0: for people watching, and no acknowledgement to handle on the way of the next card.
    void this.publish(this.topic, JSON.stringify(published), 0);
  }
}
