// Start-up from the persistence file: reservations held again (or ended, if their time passed
// while the module was down) and reservation_end events the broker never confirmed sent again.
import type { ReservationBook } from '../domain/reservation-book';
import type { DomainEvent } from '../domain/types';
import { validateState } from '../generated/validators';
import type { Logger } from '../log';
import { loadState } from '../persistence/state-file';
import type { VarOutbox } from './outbox';
import { targetOfWire } from './reservation-wire';
import { rfc3339ToEpochMs } from './time';

/** What restoring found: the events it caused, and whether an earlier run left a file (a restart). */
export interface Restored {
  events: DomainEvent[];
  restarted: boolean;
}

export function restoreState(path: string, book: ReservationBook, outbox: VarOutbox, nowMs: number, log: Logger): Restored {
  const loaded = loadState(path, validateState, nowMs);
  if ('corrupt' in loaded) {
    log.error({ file: path, moved_to: loaded.movedTo, reason: loaded.corrupt }, 'persistence file is unreadable; moved aside, starting without its reservations');
  }
  for (const end of loaded.state.undelivered_ends) outbox.send({ name: 'reservation_end', data: end });
  for (const update of loaded.state.undelivered_updates ?? []) outbox.send({ name: 'reservation_update', data: update });
  // Whichever interface wrote the file: a connector of the one is an EVSE of the other.
  const events = loaded.state.reservations.flatMap((held) =>
    book.restore(
      targetOfWire(held),
      {
        reservationId: held.reservation_id,
        idToken: held.id_token,
        ...(held.parent_id_token !== undefined ? { parentIdToken: held.parent_id_token } : {}),
        ...(held.connector_type !== undefined ? { connectorType: held.connector_type } : {}),
        expiryTime: held.expiry_time,
        // The schema checked the format; an instant that cannot be placed counts as already past.
        expiresAtMs: rfc3339ToEpochMs(held.expiry_time) ?? nowMs,
      },
      nowMs,
    ),
  );
  log.info({ file: path, restored: book.size, ended: events.length - book.size, resent_ends: loaded.state.undelivered_ends.length }, 'persistence file loaded');
  return { events, restarted: loaded.found };
}
