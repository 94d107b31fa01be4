// The required EVSE managers as one part of the module. Their side differs by interface: in the
// connector interface each is told what was reserved on its connector; in the evse interface each
// is reconciled to what its EVSE should show, gives reserve_now the last word, and is asked get_evse.
import type { EvseManagerConnection } from '../config/load';
import type { ReservationBook } from '../domain/reservation-book';
import type { DomainEvent } from '../domain/types';
import { interfaceValidators, typeValidators } from '../generated/validators';
import type { Logger } from '../log';
import type { SystemReadiness } from '../manager/readiness';
import type { ModulePart } from '../module/part';
import type { CallCmd, EvsePlacement } from '../module/ports';
import type { WireInterface } from '../module/reservation-wire';
import { InterfaceValidator } from '../schema/validate';
import { createConnectorNotifier } from './connector-notifier';
import { EvseLayoutQuery } from './layouts';
import { EvseReconciler } from './reconciler';
import { watchEvseManagers } from './watcher';

export interface EvseManagersDeps {
  prefix: string;
  evseManagers: readonly EvseManagerConnection[];
  wire: WireInterface;
  book: ReservationBook;
  readiness: SystemReadiness;
  call: CallCmd;
  connected: () => boolean;
  /** What the EVSE managers changed (or ended), published like any other change. */
  afterChange: (events: DomainEvent[]) => Promise<void>;
  log: Logger;
}

export interface EvseManagersPart extends ModulePart {
  /** The evse interface's: reserve_now asks the EVSE manager before it accepts. */
  readonly placement?: EvsePlacement;
  /** Whether every EVSE's id is known (always, but in the evse interface before each EVSE manager answered get_evse). */
  layoutKnown(): boolean;
  /** The EVSE manager of the EVSE with this id, if the module has one. */
  evseManagerOf(evseId: number): EvseManagerConnection | undefined;
}

export function requireEvseManagers(deps: EvseManagersDeps): EvseManagersPart {
  const { prefix, evseManagers, wire, book, readiness, call, afterChange, log } = deps;
  const validator = new InterfaceValidator(interfaceValidators.evse_manager);
  const reconciler =
    wire === 'evse'
      ? new EvseReconciler({
          evseManagers,
          book,
          call,
          validator,
          isReady: () => readiness.isReady && deps.connected(),
          onEvents: (events) => void afterChange(events),
          log,
        })
      : undefined;
  const layoutQuery =
    wire === 'evse' && evseManagers.length > 0
      ? new EvseLayoutQuery({ evseManagers, call, validator, apply: (position, layout) => void afterChange(book.describeEvse(position, layout)), log })
      : undefined;
  // Calls that fall due before GlobalReady wait for it, in order.
  const side = reconciler ?? createConnectorNotifier(evseManagers, (...args) => readiness.whenReady().then(() => call(...args)), validator, log, (connectorId) => book.holderAt(connectorId)?.reservationId);
  const cmds = ['reserve', 'cancel_reservation', ...(wire === 'evse' ? ['get_evse'] : [])];

  return {
    ...(reconciler ? { placement: reconciler } : {}),
    layoutKnown: () => layoutQuery?.complete ?? true,
    evseManagerOf(evseId) {
      const position = book.station.positionOf(evseId);
      return position === undefined ? undefined : evseManagers[position - 1];
    },
    async connect({ subscribe, prepareCall }) {
      await Promise.all(evseManagers.flatMap((evse) => cmds.map((cmd) => prepareCall(evse.moduleId, evse.implId, cmd))));
      await watchEvseManagers({
        prefix,
        evseManagers,
        subscribe,
        validator,
        validateRaisedError: typeValidators.evse_manager.RaisedError,
        perConnector: wire === 'evse',
        onChange: (position, change) => void afterChange(book.evseChanged(position, change)),
        ...(reconciler
          ? {
              onReservationEnd: (position: number) => reconciler.reservationEnded(position),
              onClearedSilently: (position: number) => reconciler.clearedSilently(position),
              onStarted: (position: number) => reconciler.evseManagerStarted(position),
            }
          : {}),
        log,
      });
    },
    handled: (events) => side.handled(events),
    restarted: () => side.forgetShown(),
    reconnected: () => reconciler?.reconnected(),
    ready() {
      layoutQuery?.start();
      side.announceAll();
    },
    stop() {
      layoutQuery?.stop();
      reconciler?.stop();
    },
  };
}
