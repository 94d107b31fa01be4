import type { ReservationEndReason } from '../generated/types';

/** A reservation as the domain holds it: times as epoch milliseconds, tokens as given. */
export interface HeldReservation {
  reservationId: number;
  /** 1-based connector, or 0 for a station-wide reservation. */
  connectorId: number;
  idToken: string;
  parentIdToken?: string;
  /** expiry_time exactly as the caller gave it (returned by list_reservations). */
  expiryTime: string;
  expiresAtMs: number;
  /** Acceptance order: the newest station-wide reservations are the first to give way. */
  order: number;
}

export type ReservationRequest = Omit<HeldReservation, 'connectorId' | 'order'>;

/** What happened, for the edges to publish and to tell the EVSE managers. */
export type DomainEvent =
  | { kind: 'ReservationAccepted'; reservation: HeldReservation; replaced?: HeldReservation; restored?: true }
  | { kind: 'ReservationEnded'; reservation: HeldReservation; reason: ReservationEndReason };

/** What an EVSE manager tells about its connector. */
export type ConnectorChange =
  | { kind: 'Enabled' }
  | { kind: 'Disabled' }
  | { kind: 'SessionStarted' }
  | { kind: 'SessionFinished' }
  | { kind: 'Faulted' }
  | { kind: 'FaultCleared' }
  | { kind: 'TransactionStarted'; idToken: string; parentIdToken?: string; reservationId?: number };

export interface ConnectorConditions {
  faulted: boolean;
  disabled: boolean;
  occupied: boolean;
}

export interface BookOptions {
  connectorCount: number;
  reservationsEnabled: boolean;
  connectorZeroSupported: boolean;
}
