// Issue 26, part 2: the module under EVerest's own manager (spec/everest-manager.md), in a tree of
// today's EVerest with the module folder installed as docs/running-under-everest.md says: spawned
// by the manager (config over MQTT, ModuleReady once, GlobalReady, EVSE managers called only after
// it), started by hand as a standalone module of a running manager, and a bad config_module
// refused, naming the parameter.
import path from 'node:path';
import { startModule } from '../support/module-process';
import type { ReceivedMessage } from '../support/probe';
import { EVEREST_PREFIX_TOPIC, type PreparedStation, prepareStation, RESERVATION_ID, RESERVATION_MODULE, startManager, startStation, stationReady } from './support/station';
import { treeForThisFile } from './support/tree';

const tree = treeForThisFile('evse');

const MODULE_TOPIC = `${EVEREST_PREFIX_TOPIC}modules/${RESERVATION_ID}`;

function payloadOf(entry: ReceivedMessage): Record<string, unknown> {
  return entry.payload as Record<string, unknown>;
}

/** The position on the wire of the first message satisfying `predicate` (-1: none). */
function firstOnWire(station: PreparedStation, predicate: (entry: ReceivedMessage) => boolean): number {
  return station.wire.entries.findIndex(predicate);
}

function isConfigRequestOf(moduleId: string) {
  return (e: ReceivedMessage): boolean =>
    e.topic === `${EVEREST_PREFIX_TOPIC}config/request` && (payloadOf(e).data as Record<string, unknown> | undefined)?.origin === moduleId;
}

const isConfigAnswer = (e: ReceivedMessage): boolean => e.topic === `${MODULE_TOPIC}/response` && payloadOf(e).msg_type === 'GetConfigResponse';
const isModuleReady = (e: ReceivedMessage): boolean => e.topic === `${MODULE_TOPIC}/ready`;
const isGlobalReady = (e: ReceivedMessage): boolean => e.topic === `${EVEREST_PREFIX_TOPIC}ready` && payloadOf(e).msg_type === 'GlobalReady';
const isCallToEvseManager = (e: ReceivedMessage): boolean => /^everest\/modules\/evse_manager_\d+\/impl\/evse\/cmd\/[^/]+$/.test(e.topic);

function request(id: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { request: { reservation_id: id, id_token: `TOKEN-${id}`, expiry_time: new Date(Date.now() + 3_600_000).toISOString(), ...extra } };
}

describe('spawned by the manager from its module folder', () => {
  it('asks for its config over MQTT, says ModuleReady once after the answer, and calls the EVSE managers only after GlobalReady', async () => {
    const station = await startStation({ tree: tree() });
    // The broker hands the test's client every message in the order it passed them on: what a module
    // sent because it heard something comes after what it heard.
    for (const evse of station.evses) await station.wire.waitFor((_p, e) => e.topic === `${EVEREST_PREFIX_TOPIC}modules/${evse.moduleId}/impl/evse/cmd/get_evse`, 30_000);

    const asked = firstOnWire(station, isConfigRequestOf(RESERVATION_ID));
    const answered = firstOnWire(station, isConfigAnswer);
    expect(asked).toBeGreaterThanOrEqual(0);
    expect(answered).toBeGreaterThan(asked);
    const answer = payloadOf(station.wire.entries[answered] as ReceivedMessage).data as Record<string, unknown>;
    expect(answer).toMatchObject({ type: 'Get', status: 'Ok' });

    const readies = station.wire.entries.filter(isModuleReady);
    expect(readies.map((e) => e.payload)).toEqual([{ msg_type: 'ModuleReady', data: true }]);
    expect(firstOnWire(station, isModuleReady)).toBeGreaterThan(answered);

    const globalReady = firstOnWire(station, isGlobalReady);
    expect(globalReady).toBeGreaterThan(firstOnWire(station, isModuleReady));
    const calls = station.wire.entries.map((e, at) => ({ e, at })).filter(({ e }) => isCallToEvseManager(e) && (payloadOf(e).data as Record<string, unknown>).origin === RESERVATION_ID);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.filter(({ at }) => at < globalReady)).toEqual([]);
    expect(station.wire.entries.filter(isGlobalReady)).toHaveLength(1);

    // And it serves: a reservation on EVSE 2 reaches that EVSE manager through the framework.
    expect(await station.caller.call('reservation', 'reserve_now', request(1, { evse_id: 2, connector_type: 'cType2' }))).toBe('Accepted');
    expect(await station.evses[1]?.waitForCall((c) => c.cmd === 'reserve')).toMatchObject({ args: { reservation_id: 1 }, result: true });
    expect(station.evses[0]?.calls('reserve')).toEqual([]);
  });
});

describe('a standalone module of a running manager', () => {
  /** docs/running-under-everest.md: started by hand with the manager's broker, prefix and module id (here from the installed folder). */
  function startByHand(station: PreparedStation, waitReady: boolean) {
    return startModule({
      brokerUrl: station.broker.url,
      prefix: EVEREST_PREFIX_TOPIC,
      moduleId: RESERVATION_ID,
      entry: path.join(tree().modulesDir, RESERVATION_MODULE, 'index.js'),
      bareArgs: true,
      args: ['--everest', '--module', RESERVATION_ID, '--prefix', EVEREST_PREFIX_TOPIC, '--mqtt-url', station.broker.url],
      waitReady,
    });
  }

  it("named by the manager's --standalone option: the manager waits for it, and it joins the running system", async () => {
    const station = await startStation({ tree: tree(), standalone: [RESERVATION_ID], waitReady: false });
    await station.manager.waitFor('waiting for standalone modules');
    expect(station.manager.output()).not.toContain('All modules are initialized');

    const module = await startByHand(station, true);
    await stationReady(station);
    expect(station.manager.output()).toContain(`Standalone module ${RESERVATION_ID} initialized`);
    await module.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('GlobalReady'), 30_000);
    expect(await station.caller.call('reservation', 'reserve_now', request(1, { evse_id: 1 }))).toBe('Accepted');
    expect(await station.evses[0]?.waitForCall((c) => c.cmd === 'reserve')).toMatchObject({ args: { reservation_id: 1 } });
  });

  it('marked standalone in its config entry and started before the manager: it keeps asking until the manager answers', async () => {
    const station = await prepareStation({ tree: tree(), standaloneEntry: true });
    const module = await startByHand(station, false);
    await module.waitForLog((l) => l.msg === 'waiting for the EVerest manager to answer the config request', 30_000);
    const manager = startManager(station);
    await stationReady({ ...station, manager });
    expect(station.wire.entries.filter(isModuleReady)).toHaveLength(1);
    expect(await station.caller.call('reservation', 'exists_reservation', { request: { evse_id: 1, id_token: 'NOBODY' } })).toBe('NotReserved');
  });
});

describe('a bad config_module', () => {
  it("of the wrong type is refused by the manager against the module's manifest, naming the parameter", async () => {
    const station = await startStation({ tree: tree(), reservationConfig: { connectors: 'two' }, waitReady: false });
    const exit = await station.manager.exited;
    expect(exit.code).not.toBe(0);
    expect(station.manager.output()).toMatch(/Schema validation for config entry 'connectors' failed for module config in module Reservation/);
    expect(station.wire.entries.filter(isModuleReady)).toEqual([]);
  });

  it('that the manifest allows but the module cannot use is refused by the module, naming it, and the manager stops the station', async () => {
    const station = await startStation({ tree: tree(), reservationConfig: { evse_connector_types: 'cCCS2;cTypo2' }, evses: [], waitReady: false });
    const exit = await station.manager.exited;
    expect(exit.code).not.toBe(0);
    const output = station.manager.output();
    expect(output).toContain("the EVerest manager's config");
    expect(output).toContain('"cTypo2" is not a connector type (did you mean cType2?)');
    expect(output).toMatch(/Module reservation \(pid: \d+\) exited with status/);
    expect(station.wire.entries.filter(isModuleReady)).toEqual([]);
  });

  it('with a misspelt parameter is not refused: the manager names it, ignores it, and the module starts with the default', async () => {
    const station = await startStation({ tree: tree(), evses: [], reservationConfig: { reserve_connector_zero_suported: true } });
    expect(station.manager.output()).toContain("Unknown config entry 'reserve_connector_zero_suported' of module 'Reservation' ignored");
    // reserve_connector_zero_supported stayed false (its default): no station-wide reservation.
    expect(await station.caller.call('reservation', 'reserve_now', request(1))).toBe('Rejected');
  });
});
