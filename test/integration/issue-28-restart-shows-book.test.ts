// Issue 28, point 0: after a restart every EVSE manager shows what the book says, in both
// interfaces, whatever it was told before the crash and whatever the module persisted. The EVSE
// managers are doubles that keep a reservation as EVerest's EvseManager does (no expiry of their
// own; reserve(id) refused while another id is shown): a reservation left on one after it ended
// would keep the EVSE from ever being reserved again.
import { readFileSync, writeFileSync } from 'node:fs';
import { type Broker, startBroker } from '../support/broker';
import { EvseDouble } from '../support/evse-double';
import { anyEvse, atEvse, type EvseCharger, type EvseChargerOptions, evsesOf, heldIds, startEvseModule, updateLines } from '../support/evse-station';
import { isoIn, reservation, startStation, stateFile } from '../support/harness';
import { uniquePrefix } from '../support/module-process';
import { sleep } from '../support/teardown';

let broker: Broker;

beforeAll(async () => {
  broker = await startBroker();
});

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

/** EVSE-manager doubles behaving as EVerest's EvseManager, one per list of connector types. */
async function everestDoubles(prefix: string, ...connectorTypes: string[][]): Promise<EvseDouble[]> {
  const doubles: EvseDouble[] = [];
  for (const [index, evse] of evsesOf(...connectorTypes).entries()) {
    const double = await EvseDouble.start(broker, prefix, `evse_manager_${index + 1}`, { evse });
    double.answer({ kind: 'everest' });
    doubles.push(double);
  }
  return doubles;
}

/** What each double shows (-1: Reserved for the station-wide reservations; undefined: free). */
function shown(doubles: readonly EvseDouble[]): Array<number | undefined> {
  return doubles.map((d) => d.reservedFor);
}

describe('the evse interface, after the module was killed', () => {
  async function evseCharger(...connectorTypes: string[][]): Promise<{ charger: EvseCharger; options: EvseChargerOptions & { prefix: string }; file: string }> {
    const prefix = uniquePrefix();
    const { file } = stateFile();
    const options = { prefix, configModule: { persistence_file: file } };
    const charger = await startEvseModule(broker, await everestDoubles(prefix, ...connectorTypes), options);
    return { charger, options, file };
  }

  it('cancels at its EVSE manager the reservation that expired while it was down, so the EVSE can be reserved again', async () => {
    const { charger, options } = await evseCharger(['cCCS2'], ['cCCS2']);
    const expiresAt = Date.now() + 2000;
    expect(await charger.reserve(atEvse(2, 75, undefined, { expiry_time: new Date(expiresAt).toISOString() }))).toBe('Accepted');
    await until(() => charger.evse[1]?.reservedFor === 75, 'EVSE 2 to show 75');
    await charger.station.module.stop('SIGKILL');
    await sleep(expiresAt - Date.now() + 500);

    const again = await startEvseModule(broker, charger.evse, options);
    await until(() => updateLines(again).includes('75 Expired'), '75 Expired');
    await until(() => charger.evse[1]?.reservedFor === undefined, 'EVSE 2 to be free');
    expect(await again.reserve(atEvse(2, 76))).toBe('Accepted');
    expect(shown(charger.evse)).toEqual([undefined, 76]);
  });

  it('cancels a reservation its EVSE manager was told just before a crash that left it unwritten', async () => {
    const { charger, options, file } = await evseCharger(['cCCS2']);
    const written = readFileSync(file, 'utf8');
    // reserve(71) is asked before the reservation is committed and written: a crash in between
    // leaves it on the EVSE manager and not in the file (the file is put back as it was).
    expect(await charger.reserve(atEvse(1, 71))).toBe('Accepted');
    await charger.station.module.stop('SIGKILL');
    writeFileSync(file, written);

    const again = await startEvseModule(broker, charger.evse, options);
    await until(() => charger.evse[0]?.reservedFor === undefined, 'EVSE 1 to be free');
    expect(await heldIds(again)).toEqual([]);
    expect(await again.reserve(atEvse(1, 72))).toBe('Accepted');
    expect(shown(charger.evse)).toEqual([72]);
  });

  it('keeps a held reservation shown, and replaces a stale one the EVSE manager still shows', async () => {
    const { charger, options, file } = await evseCharger(['cCCS2'], ['cCCS2']);
    expect(await charger.reserve(atEvse(1, 71))).toBe('Accepted');
    expect(await charger.reserve(atEvse(2, 81))).toBe('Accepted');
    await until(() => shown(charger.evse).join() === '71,81', 'both EVSEs to show their reservation');
    const holding71 = readFileSync(file, 'utf8');
    // 71 ends and 70 takes EVSE 1; a crash leaves the file as it was before (71 held) while the
    // EVSE manager shows 70.
    expect(await charger.cancel(71)).toBe(true);
    expect(await charger.reserve(atEvse(1, 70))).toBe('Accepted');
    await until(() => charger.evse[0]?.reservedFor === 70, 'EVSE 1 to show 70');
    await charger.station.module.stop('SIGKILL');
    writeFileSync(file, holding71);
    const callsBefore = charger.evse.map((d) => d.calls.length);

    const again = await startEvseModule(broker, charger.evse, options);
    await until(() => shown(charger.evse).join() === '71,81', 'EVSE 1 to show 71 again');
    await sleep(500);
    const reserve = (id: number): string => `reserve({"reservation_id":${id}})`;
    expect(charger.evse.map((d, i) => d.callLog().slice(callsBefore[i]))).toEqual([
      // Refused while it shows 70: cleared, then asked again.
      [reserve(71), 'cancel_reservation({})', reserve(71)],
      // Already shown: confirmed, nothing else.
      [reserve(81)],
    ]);
    expect(await heldIds(again)).toEqual([71, 81]);
    expect(updateLines(again).filter((line) => !line.endsWith('Placed'))).toEqual([]);
  });

  it('takes back reserve(-1) from EVSE managers once the station-wide reservations expired while it was down', async () => {
    const { charger, options } = await evseCharger(['cCCS2'], ['cCCS2', 'cType2']);
    const expiry = { expiry_time: isoIn(2000) };
    expect(await charger.reserve(anyEvse(1, 'cCCS2', expiry))).toBe('Accepted');
    expect(await charger.reserve(anyEvse(2, undefined, expiry))).toBe('Accepted');
    await until(() => shown(charger.evse).join() === '-1,-1', 'both EVSEs to show Reserved');
    await charger.station.module.stop('SIGKILL');
    await sleep(2500);

    const again = await startEvseModule(broker, charger.evse, options);
    await until(() => updateLines(again).filter((line) => line.endsWith('Expired')).length === 2, 'both to expire');
    await until(() => shown(charger.evse).join() === ',', 'both EVSEs to be free');
  });
});

describe('the evse interface, an EVSE manager that refused reserve(-1)', () => {
  it('is asked again at the next change: after a restart the module did not know of the car that made it refuse', async () => {
    const prefix = uniquePrefix();
    const { file } = stateFile();
    const options = { prefix, configModule: { persistence_file: file } };
    const doubles = await everestDoubles(prefix, ['cCCS2'], ['cCCS2']);
    const charger = await startEvseModule(broker, doubles, options);
    expect(await charger.reserve(anyEvse(1))).toBe('Accepted');
    expect(await charger.reserve(anyEvse(2))).toBe('Accepted');
    await until(() => shown(doubles).join() === '-1,-1', 'both EVSEs to show Reserved');
    // A car at EVSE 1 (it ends nothing); the module, killed, forgets it: EVSE 1's manager refuses reserve(-1).
    await doubles[0]?.sessionStarted();
    await until(() => doubles[0]?.reservedFor === undefined, 'EVSE 1 to be free once a car is there');
    await charger.station.module.stop('SIGKILL');
    const again = await startEvseModule(broker, doubles, options);
    await until(() => (doubles[0]?.callLog().filter((call) => call === 'reserve({"reservation_id":-1})').length ?? 0) >= 3, 'EVSE 1 to refuse reserve(-1) after the restart');
    expect(await heldIds(again)).toEqual([1, 2]);
    expect(shown(doubles)).toEqual([undefined, -1]);
    // The car leaves: EVSE 1 can take it now, and is asked again.
    await doubles[0]?.sessionFinished();
    await until(() => doubles[0]?.reservedFor === -1, 'EVSE 1 to show Reserved again');
  });
});

describe('the evse interface, after an EVSE manager restarted alone', () => {
  it('tells it again what it shows: its ModuleReady says it holds nothing', async () => {
    const prefix = uniquePrefix();
    const doubles = await everestDoubles(prefix, ['cCCS2'], ['cCCS2']);
    const charger = await startEvseModule(broker, doubles, { prefix });
    expect(await charger.reserve(atEvse(1, 5))).toBe('Accepted');
    await until(() => doubles[0]?.reservedFor === 5, 'EVSE 1 to show 5');
    await doubles[0]?.restart();
    await until(() => doubles[0]?.reservedFor === 5, 'EVSE 1 to show 5 again');
    expect(shown(doubles)).toEqual([5, undefined]);
  });
});

describe('the evse interface, after a broker outage (found by the soak)', () => {
  it('cancels at its EVSE manager a reservation that expired while the broker was away', async () => {
    const own = await startBroker(); // stopped and restarted: a broker of its own
    const prefix = uniquePrefix();
    const doubles: EvseDouble[] = [];
    for (const [index, evse] of evsesOf(['cCCS2']).entries()) {
      const double = await EvseDouble.start(own, prefix, `evse_manager_${index + 1}`, { evse });
      double.answer({ kind: 'everest' });
      doubles.push(double);
    }
    const charger = await startEvseModule(own, doubles, { prefix });
    const expiresAt = Date.now() + 1500;
    expect(await charger.reserve(atEvse(1, 1, undefined, { expiry_time: new Date(expiresAt).toISOString() }))).toBe('Accepted');
    await until(() => doubles[0]?.reservedFor === 1, 'EVSE 1 to show 1');
    await own.stop('SIGKILL');
    await sleep(expiresAt - Date.now() + 1000);
    await own.restart();
    // The module expired it while the broker was away, and could tell no one then.
    await until(() => updateLines(charger).includes('1 Expired'), '1 Expired', 30_000);
    await until(() => doubles[0]?.reservedFor === undefined, 'EVSE 1 to be free', 30_000);
  }, 60_000);
});

describe('the connector interface, after the module was killed', () => {
  it('cancels at the EVSE managers what expired while it was down and what a crash left unwritten', async () => {
    const prefix = uniquePrefix();
    const { file } = stateFile();
    const doubles = [await EvseDouble.start(broker, prefix, 'evse_manager_1'), await EvseDouble.start(broker, prefix, 'evse_manager_2')];
    for (const double of doubles) double.answer({ kind: 'everest' });
    const options = { prefix, configModule: { persistence_file: file }, connections: { evse_manager: doubles.map((d) => d.connection) } };
    const first = await startStation(broker, options);
    const expiresAt = Date.now() + 2000;
    expect(await first.reserveNow(2, reservation(75, { expiry_time: new Date(expiresAt).toISOString() }))).toBe('Accepted');
    const without71 = readFileSync(file, 'utf8');
    expect(await first.reserveNow(1, reservation(71))).toBe('Accepted');
    await until(() => shown(doubles).join() === '71,75', 'both connectors to show their reservation');
    await first.module.stop('SIGKILL');
    // reserve(71) goes out before the file is written: a crash in between leaves 71 unwritten.
    writeFileSync(file, without71);
    await sleep(expiresAt - Date.now() + 500);

    const second = await startStation(broker, options);
    await until(() => shown(doubles).join() === ',', 'both connectors to be free');
    expect(await second.list()).toEqual([]);
    expect(await second.reserveNow(1, reservation(72))).toBe('Accepted');
    await until(() => doubles[0]?.reservedFor === 72, 'connector 1 to show 72');
  });
});
