// The demo in the evse interface (EVerest 2024.12 and later): EVSEs with typed connectors, a
// reservation for an EVSE and a connector type, a station-wide typed one the station keeps its
// promise for, check_start, and reservation_update telling each end.
import { inSeconds, type Stage } from './stage';

export async function evseStory({ call, evses: [evse1, evse2], say, pause }: Stage): Promise<void> {
  const reserve = async (request: { reservation_id: number; id_token: string; evse_id?: number; connector_type?: string }, seconds: number): Promise<void> => {
    const result = await call('reserve_now', { request: { ...request, expiry_time: inSeconds(seconds) } });
    const where = `${request.evse_id === undefined ? 'any EVSE' : `EVSE ${request.evse_id}`}${request.connector_type === undefined ? '' : ` (${request.connector_type})`}`;
    say(`> reserve ${where} for ${request.id_token} for ${seconds} s (reservation ${request.reservation_id}): ${String(result)}`);
  };
  const exists = async (evseId: number, token: string): Promise<void> => {
    say(`> may ${token} charge on EVSE ${evseId}? ${String(await call('exists_reservation', { request: { evse_id: evseId, id_token: token } }))}`);
  };
  const checkStart = async (evseId: number, token: string): Promise<void> => {
    say(`> check_start: may ${token} start on EVSE ${evseId} now? ${JSON.stringify(await call('check_start', { request: { evse_id: evseId, id_token: token } }))}`);
  };

  say('1. A driver reserves the Type2 connector of EVSE 1 from the app (OCPP 2.0.1: evseId and connectorType).');
  await reserve({ reservation_id: 1, id_token: 'ALICE', evse_id: 1, connector_type: 'cType2' }, 60);
  await pause(300);
  say('\n2. Someone else tries to charge there: the reservation stands in the way.');
  await exists(1, 'BOB');
  await exists(1, 'alice');
  say('\n3. A reservation of EVSE 2 that nobody uses expires.');
  await reserve({ reservation_id: 2, id_token: 'CAROL', evse_id: 2 }, 2);
  await pause(3000);
  say('\n4. A fleet reserves any EVSE with a CCS2 connector: EVSE 2 is the one left, so its EVSE manager is told reserve(-1) (OCPP shows it Reserved).');
  await reserve({ reservation_id: 3, id_token: 'FLEET-7', connector_type: 'cCCS2' }, 60);
  await pause(300);
  say('\n5. Another CCS2 driver asks for any EVSE: refused, the station keeps its promise to the fleet.');
  await reserve({ reservation_id: 4, id_token: 'DAVE', connector_type: 'cCCS2' }, 60);
  say('\n6. An authorisation module asks check_start: a walk-in may not take EVSE 2, the fleet driver may.');
  await checkStart(2, 'WALK-IN');
  await checkStart(2, 'FLEET-7');
  say('\n7. Alice arrives and starts charging on EVSE 1 with her card.');
  await evse1.sessionEvent({ event: 'SessionStarted' });
  await evse1.transactionStarted('alice');
  await pause(500);
  say('\n8. EVSE 2 faults: no CCS2 EVSE is left for the fleet, so its reservation is removed.');
  await evse2.inoperative(true);
  await pause(500);
  say(`> reservations held: ${JSON.stringify(await call('list_reservations', {}))}`);
}
