// The client's calls: reserve, cancel, exists and check-start, in the words of the interface the
// module serves (--connector in the connector interface; --evse and --type in the evse interface).
import { type Command, Option } from 'commander';
import type { Reservation as EvseReservation } from '../generated/evse/types';
import { ConnectorTypeEnumValues, type HeldReservation, type ReservationCheckStatus, type ReservationResult, type StartCheckResult } from '../generated/types';
import { expiryTime } from './expires';
import { describeReservation } from './format';
import { integer } from './options';
import { EXIT, givenInterface, type Served, type Subcommand, UsageError } from './kit';

interface PlaceOptions {
  connector?: number;
  evse?: number;
  type?: string;
}

/** Where a command is for: a connector (0: any) in the connector interface; an EVSE (absent: any) and a connector type in the evse interface. */
type Place = { connector_id: number } | { evse_id?: number; connector_type?: string };

interface PlaceRule {
  command: string;
  /** Whether the evse interface needs --evse (else none means any EVSE). */
  evseRequired: boolean;
}

/** The place the options name, checked against the interface; a UsageError naming the mismatch otherwise. */
function placeIn(opts: PlaceOptions, served: Served, rule: PlaceRule): Place {
  if (served.wire === 'connector') {
    if (opts.evse !== undefined || opts.type !== undefined) {
      throw new UsageError(`--evse and --type are options of the evse interface; the module serves the connector interface (${served.why}): give --connector <n>`);
    }
    if (opts.connector === undefined) throw new UsageError(`${rule.command} needs --connector <n>: the module serves the connector interface (${served.why})`);
    return { connector_id: opts.connector };
  }
  if (opts.connector !== undefined) {
    throw new UsageError(`--connector is an option of the connector interface; the module serves the evse interface (${served.why}): give --evse <n>${rule.evseRequired ? '' : ' (none: any EVSE)'}`);
  }
  if (rule.evseRequired && opts.evse === undefined) throw new UsageError(`${rule.command} needs --evse <n>: the module serves the evse interface (${served.why})`);
  return { ...(opts.evse !== undefined ? { evse_id: opts.evse } : {}), ...(opts.type !== undefined ? { connector_type: opts.type } : {}) };
}

/** Checks what can be checked before connecting: options of both interfaces at once, or of the other one than --interface names. */
function checkPlaceEarly(opts: PlaceOptions, command: Command, rule: PlaceRule): void {
  if (opts.connector !== undefined && (opts.evse !== undefined || opts.type !== undefined)) {
    throw new UsageError('--connector (connector interface) and --evse / --type (evse interface) do not go together');
  }
  const given = givenInterface(command);
  if (given) placeIn(opts, given, rule);
}

const evseOption = (what: string): Option => new Option('--evse <n>', `EVSE id (evse interface)${what}`).argParser(integer('--evse', 1));

function tokenOf(parentToken: string | undefined, name: 'parent_id_token' | 'group_id_token'): Record<string, string> {
  return parentToken === undefined ? {} : { [name]: parentToken };
}

const reserve: Subcommand = (program, kit) => {
  const rule = { command: 'reserve', evseRequired: false };
  program
    .command('reserve')
    .description('reserve a connector (connector interface; 0: any) or an EVSE and connector type (evse interface; no --evse: any EVSE) for a token')
    .option('--connector <n>', 'connector id, 0 for any (connector interface)', integer('--connector', 0))
    .addOption(evseOption('; none: any EVSE'))
    .addOption(new Option('--type <connector type>', 'connector type asked for (evse interface), e.g. cCCS2, cType2').choices(ConnectorTypeEnumValues))
    .requiredOption('--token <id token>', 'the token the reservation is for')
    .requiredOption('--id <reservation id>', 'reservation id (an existing one is replaced)', integer('--id', Number.MIN_SAFE_INTEGER))
    .requiredOption('--expires <when>', 'a duration from now (30s, 15m, 1h30m, 2d) or an RFC 3339 date-time')
    .option('--parent-token <id token>', 'the group (parent) token')
    .action((opts: PlaceOptions & { token: string; id: number; expires: string; parentToken?: string }, command: Command) => {
      let expiry: string;
      try {
        expiry = expiryTime(opts.expires, kit.io.now());
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      checkPlaceEarly(opts, command, rule);
      return kit.withSession(command, async (session, options) => {
        const served = await kit.served(session, options);
        const place = placeIn(opts, served, rule);
        const token = { id_token: opts.token, ...tokenOf(opts.parentToken, 'parent_id_token') };
        // Held reservations list their fields in this order (list_reservations, the snapshot).
        const held: HeldReservation = { reservation_id: opts.id, ...place, ...token, expiry_time: expiry };
        const args =
          'connector_id' in place
            ? { connector_id: place.connector_id, reservation: { reservation_id: opts.id, ...token, expiry_time: expiry } }
            : { request: held as EvseReservation };
        const result = await kit.answer<ReservationResult>(session, 'reserve_now', args, options, served.wire);
        if (options.json) kit.io.out(JSON.stringify({ result, reservation: held }));
        else kit.io.out(result === 'Accepted' ? `Accepted: ${describeReservation(held)}` : `${result}: reservation ${opts.id} not made`);
        return result === 'Accepted' ? EXIT.ok : EXIT.failed;
      });
    });
};

const cancel: Subcommand = (program, kit) => {
  program
    .command('cancel')
    .description('cancel a held reservation')
    .argument('<reservation id>', 'the reservation to cancel', integer('reservation id', Number.MIN_SAFE_INTEGER))
    .action((reservationId: number, _opts: unknown, command: Command) =>
      kit.withSession(command, async (session, options) => {
        // The same command on impl main in both interfaces: no need to ask which one is served.
        const cancelled = await kit.answer<boolean>(session, 'cancel_reservation', { reservation_id: reservationId }, options, options.interface ?? 'connector');
        if (options.json) kit.io.out(JSON.stringify({ cancelled, reservation_id: reservationId }));
        else kit.io.out(cancelled ? `reservation ${reservationId} cancelled` : `no reservation ${reservationId} is held: nothing cancelled`);
        return cancelled ? EXIT.ok : EXIT.failed;
      }),
    );
};

/** What an exists_reservation answer means for `where` (undefined: station-wide, the evse interface without --evse). */
export function checkMeaning(status: ReservationCheckStatus, where: string | undefined): string {
  switch (status) {
    case 'NotReserved':
      return where === undefined ? 'no station-wide reservation is held for this token' : `nothing stops this token from charging on ${where}`;
    case 'ReservedForToken':
      return where === undefined ? 'a station-wide reservation is held for this token (or its parent token)' : `${where} is reserved for this token (or its parent token)`;
    case 'ReservedForOtherToken':
      return `${where ?? 'the station'} is reserved for another token`;
    case 'ReservedForOtherTokenAndHasParentToken':
      return 'reserved for another token; give the parent token if this one has one';
  }
}

function placeName(place: Place): string | undefined {
  if ('connector_id' in place) return `connector ${place.connector_id}`;
  return place.evse_id === undefined ? undefined : `EVSE ${place.evse_id}`;
}

/** A question about a token at a place: what to call, and how to say the answer. */
interface Question<T> {
  cmd: string;
  request: Record<string, unknown>;
  json(answer: T): object;
  text(answer: T): string;
}

/** exists and check-start: ask the module about a token at a place; exit 0 once it answered. */
function questionCommand<T>(spec: { name: string; description: string; evseRequired: boolean; evseHelp: string; ask(place: Place, token: string, parentToken?: string): Question<T> }): Subcommand {
  const rule = { command: spec.name, evseRequired: spec.evseRequired };
  return (program, kit) => {
    program
      .command(spec.name)
      .description(spec.description)
      .option('--connector <n>', 'connector id (connector interface)', integer('--connector', 1))
      .addOption(evseOption(spec.evseHelp))
      .requiredOption('--token <id token>', 'the token that wants to charge')
      .option('--parent-token <id token>', "the token's parent (group) token")
      .action((opts: PlaceOptions & { token: string; parentToken?: string }, command: Command) => {
        checkPlaceEarly(opts, command, rule);
        return kit.withSession(command, async (session, options) => {
          const served = await kit.served(session, options);
          const question = spec.ask(placeIn(opts, served, rule), opts.token, opts.parentToken);
          const answer = await kit.answer<T>(session, question.cmd, { request: question.request }, options, served.wire);
          kit.io.out(options.json ? JSON.stringify(question.json(answer)) : question.text(answer));
          return EXIT.ok;
        });
      });
  };
}

const exists = questionCommand<ReservationCheckStatus>({
  name: 'exists',
  description: 'ask whether a token may charge on a connector (connector interface) or EVSE (evse interface; no --evse: station-wide), given the reservations held',
  evseRequired: false,
  evseHelp: '; none: is a station-wide reservation held for the token',
  ask: (place, token, parentToken) => {
    // The connector interface asks impl status; the evse interface's own exists_reservation (impl main) names the parent token group_id_token.
    const request = { ...place, id_token: token, ...tokenOf(parentToken, 'connector_id' in place ? 'parent_id_token' : 'group_id_token') };
    return { cmd: 'exists_reservation', request, json: (status) => ({ status, request }), text: (status) => `${status}: ${checkMeaning(status, placeName(place))}` };
  },
});

const checkStart = questionCommand<StartCheckResult>({
  name: 'check-start',
  description: 'ask whether a session for a token may start on a connector (EVSE) now, and which reservation it would use (check_start)',
  evseRequired: true,
  evseHelp: '',
  ask: (place, token, parentToken) => {
    // check_start names the place evse_id in both interfaces (in the connector interface, the connector).
    const request = { evse_id: 'connector_id' in place ? place.connector_id : (place.evse_id as number), id_token: token, ...tokenOf(parentToken, 'parent_id_token') };
    return { cmd: 'check_start', request, json: (result) => ({ ...result, request }), text: (result) => startMeaning(result, placeName(place) as string) };
  },
});

export function startMeaning(result: StartCheckResult, where: string): string {
  if (!result.allowed) return `not allowed: a session there would take ${where} from a reservation that needs it`;
  return result.reservation_id === undefined ? `allowed: no reservation stands in the way on ${where}` : `allowed: the session uses reservation ${result.reservation_id}`;
}

export const clientCommands: Subcommand[] = [reserve, cancel, exists, checkStart];
