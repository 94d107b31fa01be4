/** A connector type as EVerest names it (ConnectorTypeEnum); 'Unknown' matches every type. */
export type ConnectorType = string;
export const UNKNOWN_TYPE: ConnectorType = 'Unknown';

/** A reservation as the domain holds it: times as epoch milliseconds, tokens as given. */
export interface HeldReservation {
  reservationId: number;
  /** The reserved EVSE (in the connector interface: the connector), or 0 for a station-wide reservation. */
  evseId: number;
  /** The connector type asked for; absent means any (Unknown). */
  connectorType?: ConnectorType;
  idToken: string;
  parentIdToken?: string;
  /** expiry_time exactly as the caller gave it (returned by list_reservations). */
  expiryTime: string;
  expiresAtMs: number;
  /** Acceptance order: the newest station-wide reservations are the first to give way. */
  order: number;
}

export type ReservationRequest = Omit<HeldReservation, 'evseId' | 'order'>;

/**
 * Why a reservation ended, in the domain's words. The wire names them per interface:
 * reservation_end says Cancelled for Removed and UsedToStartCharging for Used.
 */
export type EndReason = 'Expired' | 'Cancelled' | 'Removed' | 'Used';

/** What happened, for the edges to publish and to tell the EVSE managers. */
export type DomainEvent =
  | { kind: 'ReservationAccepted'; reservation: HeldReservation; replaced?: HeldReservation; restored?: true }
  | { kind: 'ReservationEnded'; reservation: HeldReservation; reason: EndReason; why: string };

/** Who started a session: the token (and parent token) or the reservation it names. */
export interface SessionClaim {
  idToken?: string;
  parentIdToken?: string;
  reservationId?: number;
}

/** What an EVSE manager tells about its EVSE. */
export type EvseChange =
  | { kind: 'Enabled'; connectorId?: number }
  | { kind: 'Disabled'; connectorId?: number }
  /** A session began: a car plugged in, or a driver authorised first (then `claim` may name a reservation). */
  | { kind: 'SessionStarted'; claim?: SessionClaim }
  | { kind: 'SessionFinished' }
  | { kind: 'Faulted' }
  | { kind: 'FaultCleared' }
  | ({ kind: 'TransactionStarted'; idToken: string } & SessionClaim)
  /** A driver was authorised there (and until Deauthorized or the end of the transaction or session, Auth starts nothing new there). */
  | { kind: 'Authorized' }
  | { kind: 'Deauthorized' }
  | { kind: 'TransactionFinished' };

/** An EVSE's id and its connectors, as its EVSE manager's get_evse (or the configuration) tells. */
export interface EvseLayout {
  id: number;
  connectors: ReadonlyArray<{ id: number; type: ConnectorType }>;
}

export interface BookOptions {
  /** EVSEs of the station: one per EVSE manager, or per configured layout, or per connector. */
  evseCount: number;
  reservationsEnabled: boolean;
  /** Reservations for any EVSE (connector 0, or no evse_id) accepted. */
  stationWideSupported: boolean;
  /** Known layouts by position (1-based); a position without one is one connector of type Unknown, id = position. */
  layouts?: ReadonlyArray<EvseLayout | undefined>;
}

/** Where a reservation is asked for: an EVSE by id, or any EVSE of the station. */
export type Target = { evseId: number } | 'any';

/**
 * Why reserve_now refused, as facts: each wire interface names the refusal its own way
 * (module/connector-commands.ts, module/evse-commands.ts).
 */
export type Refusal =
  | { kind: 'ReservationsDisabled' }
  | { kind: 'StationWideNotSupported' }
  | { kind: 'ExpiryPassed' }
  | { kind: 'UnknownEvse' }
  | { kind: 'ConnectorTypeAbsent' }
  /** The EVSE itself cannot take it. */
  | { kind: 'EvseBusy'; heldByOther: boolean; occupied: boolean; faulted: boolean; disabled: boolean }
  /** The station-wide guarantee would break; `evses` sums up the EVSEs that have the type. */
  | { kind: 'GuaranteeBroken'; reservationsHeld: boolean; evses: EvseTally };

/** How many EVSEs (with a given type) are in each condition. */
export interface EvseTally {
  total: number;
  /** A car plugged in or charging. */
  occupied: number;
  faulted: number;
  /** Every connector of the type faulted or disabled. */
  unavailable: number;
}

export type Decision = { accepted: true } | { accepted: false; refusal: Refusal };
