// A simulated EVSE manager for the demo: serves its commands (reserve, cancel_reservation, ...) with the module's
// own CommandProvider and publishes session events and the Inoperative error like a real one.
import { randomUUID } from 'node:crypto';
import { encodeVar } from '../everest/envelope';
import { errorTopic, varTopic } from '../everest/topics';
import type { Evse, SessionEvent } from '../generated/types';
import type { Logger } from '../log';
import type { MqttConnection } from '../mqtt/connection';
import { CommandProvider } from '../mqtt/provider';
import { INOPERATIVE_ERROR } from '../evse-managers/watcher';
import { InterfaceValidator } from '../schema/validate';
import { interfaceValidators } from '../generated/validators';

export class EvseSimulator {
  private provider: CommandProvider | undefined;

  constructor(
    private readonly connection: MqttConnection,
    private readonly prefix: string,
    readonly moduleId: string,
    private readonly implId: string,
    /** Told about every call the reservation module makes, for the demo's narration. */
    private readonly onCall: (cmd: string, args: Record<string, unknown>) => void,
    private readonly log: Logger,
    /** What get_evse answers: the EVSE's id and its connectors' types. */
    private readonly evse: Evse = { id: 1, connectors: [{ id: 1, type: 'Unknown' }] },
  ) {}

  async start(): Promise<void> {
    this.provider = new CommandProvider(
      this.connection,
      new InterfaceValidator(interfaceValidators.evse_manager),
      {
        reserve: (args) => {
          this.onCall('reserve', args);
          return true;
        },
        cancel_reservation: (args) => {
          this.onCall('cancel_reservation', args);
          return null;
        },
        get_evse: (args) => {
          this.onCall('get_evse', args);
          return this.evse;
        },
        // What Auth (or, for a Plug&Charge car it refused, the module's token path) tells an EVSE manager.
        authorize_response: (args) => {
          this.onCall('authorize_response', args);
          return null;
        },
      },
      { prefix: this.prefix, moduleId: this.moduleId, implId: this.implId, maxPayloadBytes: 64 * 1024 },
      this.log,
    );
    await this.provider.start();
  }

  async sessionEvent(event: SessionEvent): Promise<void> {
    await this.connection.publish(varTopic(this.prefix, this.moduleId, this.implId, 'session_event'), encodeVar(event), 2);
  }

  async transactionStarted(token: string, reservationId?: number): Promise<void> {
    await this.sessionEvent({
      event: 'TransactionStarted',
      transaction_started: { id_tag: { id_token: { value: token, type: 'ISO14443' } }, ...(reservationId !== undefined ? { reservation_id: reservationId } : {}) },
    });
  }

  async inoperative(raised: boolean): Promise<void> {
    const data = {
      type: INOPERATIVE_ERROR,
      message: raised ? 'power module fault' : 'power module fault cleared',
      severity: 'High',
      origin: { module_id: this.moduleId, implementation_id: this.implId },
      state: raised ? 'Active' : 'ClearedByModule',
      timestamp: new Date().toISOString(),
      uuid: randomUUID(),
    };
    await this.connection.publish(
      errorTopic(this.prefix, this.moduleId, this.implId, INOPERATIVE_ERROR),
      JSON.stringify({ msg_type: raised ? 'RaiseError' : 'ClearError', data }),
      2,
    );
  }

  async stop(): Promise<void> {
    await this.provider?.stop(1000);
  }
}
