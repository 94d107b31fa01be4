// The demo in the connector interface (EVerest 2022-10 to 2024-11): a reservation, a wrong token
// refused, the right one charging, an expiry, and a fault that cancels a reservation.
import { inSeconds, type Stage } from './stage';

export async function connectorStory({ call, evses: [evse1, evse2], say, pause }: Stage): Promise<void> {
  const reserve = async (connector: number, id: number, token: string, seconds: number): Promise<void> => {
    const result = await call('reserve_now', { connector_id: connector, reservation: { reservation_id: id, id_token: token, expiry_time: inSeconds(seconds) } });
    say(`> reserve connector ${connector} for ${token} for ${seconds} s (reservation ${id}): ${String(result)}`);
  };
  const exists = async (connector: number, token: string): Promise<void> => {
    say(`> may ${token} charge on connector ${connector}? ${String(await call('exists_reservation', { request: { connector_id: connector, id_token: token } }))}`);
  };

  say('1. A driver reserves connector 1 from the app.');
  await reserve(1, 1, 'ALICE', 60);
  await pause(300);
  say('\n2. Someone else tries to charge there: the reservation stands in the way.');
  await exists(1, 'BOB');
  await exists(1, 'alice');
  say('\n3. Alice arrives and starts charging with her card (tokens compare case-insensitively).');
  await evse1.sessionEvent({ event: 'SessionStarted' });
  await evse1.transactionStarted('alice');
  await pause(500);
  say('\n4. A reservation nobody uses expires.');
  await reserve(2, 2, 'CAROL', 2);
  await pause(3000);
  say('\n5. A connector faults: its reservation is cancelled and it cannot be reserved.');
  await reserve(2, 3, 'DAVE', 60);
  await pause(300);
  await evse2.inoperative(true);
  await pause(500);
  await reserve(2, 4, 'ERIN', 60);
  say(`> reservations held: ${JSON.stringify(await call('list_reservations', {}))}`);
}
