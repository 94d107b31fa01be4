// The reserve_now decision, in the order of spec/everest-evse-dialect.md §4 (which the connector
// interface's rules 1-8 of spec/reservation-module.md follow too, an EVSE being a connector there).
// Refusals are returned as facts; each wire interface names them (src/commands/).
import { offers } from './guarantee';
import type { Station } from './station';
import type { StationWideReservations } from './station-wide';
import { type Decision, type ReservationRequest, type Target, UNKNOWN_TYPE } from './types';

export interface DecisionInput {
  station: Station;
  reservationsEnabled: boolean;
  stationWideSupported: boolean;
  /** Whether any other reservation is held (the one being replaced does not count). */
  othersHeld: boolean;
  /** The guarantee the station-wide reservations held are owed, with one more, or with an EVSE taken. */
  stationWide: Pick<StationWideReservations, 'keeps' | 'keepsWithout'>;
  target: Target;
  request: ReservationRequest;
  nowMs: number;
}

const ACCEPTED: Decision = { accepted: true };

export function decideReserveNow(input: DecisionInput): Decision {
  const { station, target, request } = input;
  const type = request.connectorType ?? UNKNOWN_TYPE;
  if (!input.reservationsEnabled) return refused({ kind: 'ReservationsDisabled' });
  if (target === 'any' && !input.stationWideSupported) return refused({ kind: 'StationWideNotSupported' });
  if (request.expiresAtMs <= input.nowMs) return refused({ kind: 'ExpiryPassed' });
  const position = target === 'any' ? undefined : station.positionOf(target.evseId);
  if (target !== 'any' && position === undefined) return refused({ kind: 'UnknownEvse' });
  if (position === undefined ? !station.anyHasType(type) : !station.hasType(position, type)) return refused({ kind: 'ConnectorTypeAbsent' });

  if (position !== undefined) {
    const heldByOther = station.holder(position) !== undefined;
    const occupied = station.isOccupied(position);
    const available = offers(station.availableTypes(position), type);
    if (heldByOther || occupied || !available) {
      const faulted = station.conditionsAt(position).faulted;
      return refused({ kind: 'EvseBusy', heldByOther, occupied, faulted, disabled: !available && !faulted });
    }
    if (input.stationWide.keepsWithout(position)) return ACCEPTED;
  } else if (input.stationWide.keeps(type)) {
    return ACCEPTED;
  }
  return refused({ kind: 'GuaranteeBroken', reservationsHeld: input.othersHeld, evses: station.tally(type) });
}

function refused(refusal: Extract<Decision, { accepted: false }>['refusal']): Decision {
  return { accepted: false, refusal };
}
