// The reserve_now decision, rules 1-8 of spec/reservation-module.md, in the spec's order.
import type { ReservationResult } from '../generated/types';
import type { ConnectorTable } from './connectors';
import type { BookOptions, HeldReservation, ReservationRequest } from './types';

export interface ReserveNowInput {
  options: BookOptions;
  connectors: ConnectorTable;
  stationWideCount: number;
  connectorId: number;
  request: ReservationRequest;
  /** The held reservation with the same id, which rule 5 evaluates the request without. */
  replacing: HeldReservation | undefined;
  nowMs: number;
}

export function decideReserveNow(input: ReserveNowInput): ReservationResult {
  const { options, connectors, connectorId, request, replacing, nowMs } = input;
  if (!options.reservationsEnabled) return 'Rejected'; // rule 1
  if (connectorId !== 0 && !connectors.has(connectorId)) return 'Rejected'; // rule 2
  if (connectorId === 0 && !options.connectorZeroSupported) return 'Rejected'; // rule 3
  if (request.expiresAtMs <= nowMs) return 'Rejected'; // rule 4

  // Rule 5: count as if the reservation being replaced were not held.
  const releasesConnector = replacing !== undefined && replacing.connectorId !== 0 && connectors.isAvailable(replacing.connectorId);
  const free = connectors.freeCount + (releasesConnector ? 1 : 0);
  const stationWide = input.stationWideCount - (replacing?.connectorId === 0 ? 1 : 0);

  if (connectorId === 0) {
    // Rule 7: each station-wide reservation keeps one free connector for its token.
    if (free > stationWide) return 'Accepted';
    if (connectors.faultedCount === connectors.count) return 'Faulted';
    if (connectors.blockedCount === connectors.count) return 'Unavailable';
    return 'Occupied';
  }

  // Rule 6.
  const { faulted, disabled, occupied } = connectors.conditionsOf(connectorId);
  if (faulted) return 'Faulted';
  if (disabled) return 'Unavailable';
  if (occupied) return 'Occupied';
  const holder = connectors.holder(connectorId);
  if (holder !== undefined && holder.reservationId !== replacing?.reservationId) return 'Occupied';
  if (free - 1 < stationWide) return 'Occupied';
  return 'Accepted'; // rule 8
}
