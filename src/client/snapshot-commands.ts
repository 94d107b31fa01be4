// The client's readers: list and watch, from list_reservations, the retained snapshot and the
// module's vars. Both read either interface's snapshot (connectors, or EVSEs with typed connectors).
import type { Command } from 'commander';
import type { HeldReservation } from '../generated/types';
import type { Snapshot } from '../module/snapshot';
import { decodeEnd, decodeSnapshot, decodeTokenEvent, decodeUpdate, formatConnectors, formatEvses, formatReservations, formatWatchEvent, snapshotChanges, type WatchEvent } from './format';
import { EXIT, type Subcommand } from './kit';

const list: Subcommand = (program, kit) => {
  program
    .command('list')
    .description('list the reservations held and the connector (EVSE) states')
    .action((_opts: unknown, command: Command) =>
      kit.withSession(command, async (session, options) => {
        // Subscribed first: the retained snapshot arrives before the answer to the call after it.
        let snapshot: Snapshot | undefined;
        await session.onSnapshot((payload) => (snapshot = decodeSnapshot(payload) ?? snapshot));
        // On impl status in both interfaces.
        const reservations = await kit.answer<HeldReservation[]>(session, 'list_reservations', {}, options, options.interface ?? 'connector');
        const { connectors, evses } = snapshot ?? {};
        if (options.json) {
          const places = connectors ? { connectors } : evses ? { evses } : {};
          kit.io.out(JSON.stringify({ ...(snapshot ? { interface: snapshot.interface ?? 'connector' } : {}), reservations, ...places }));
          return EXIT.ok;
        }
        kit.io.out(formatReservations(reservations, kit.io.now()));
        if (snapshot && connectors) kit.io.out(`\n${formatConnectors(connectors, snapshot.connectors_total ?? connectors.length)}`);
        if (snapshot && evses) kit.io.out(`\n${formatEvses(evses, snapshot.evses_total ?? evses.length)}`);
        return EXIT.ok;
      }),
    );
};

const watch: Subcommand = (program, kit) => {
  program
    .command('watch')
    .description('print new reservations, connector (EVSE) states, reservation_end and (evse interface) reservation_update events, and tokens the token path narrowed or refused, as they happen, until Ctrl-C')
    .action((_opts: unknown, command: Command) =>
      kit.withSession(command, async (session, options) => {
        const print = (event: WatchEvent): void => {
          const at = new Date(kit.io.now()).toISOString();
          kit.io.out(options.json ? JSON.stringify({ at, ...event }) : `${at}  ${formatWatchEvent(event)}`);
        };
        if (!options.json) kit.io.err('watching; Ctrl-C to stop');
        let last: Snapshot | undefined;
        await session.onStatus((status) => print({ type: 'status', status }));
        // reservation_end is impl status's in both interfaces; reservation_update only the evse interface publishes.
        await session.onVar('reservation_end', 'connector', (value) => {
          const end = decodeEnd(value);
          if (end) print({ type: 'reservation_end', ...end });
        });
        await session.onVar('reservation_update', 'evse', (value) => {
          const update = decodeUpdate(value);
          if (update) print({ type: 'reservation_update', ...update });
        });
        await session.onTokenEvents((payload) => {
          const event = decodeTokenEvent(payload);
          if (event) print({ type: 'token', ...event });
        });
        await session.onSnapshot((payload) => {
          const next = decodeSnapshot(payload);
          if (!next) return;
          for (const event of snapshotChanges(last, next)) print(event);
          last = next;
        });
        await kit.io.interrupted;
        return EXIT.ok;
      }),
    );
};

export const snapshotCommands: Subcommand[] = [list, watch];
