// The evse interface learns each EVSE from its EVSE manager: get_evse, asked once the system is
// ready and again every few seconds while it has not answered. The EVSE is then found by the id
// it reports, not by its position in the list (EVerest's Auth assumes EVSE n is connection n-1).
import type { EvseManagerConnection } from '../config/load';
import { type EvseLayout, UNKNOWN_TYPE } from '../domain/types';
import type { Evse } from '../generated/types';
import type { Logger } from '../log';
import type { CallCmd } from '../module/ports';
import type { InterfaceValidator } from '../schema/validate';

export const GET_EVSE_RETRY_MS = 5000;

export interface LayoutQueryDeps {
  evseManagers: readonly EvseManagerConnection[];
  call: CallCmd;
  validator: InterfaceValidator;
  /** An EVSE manager described its EVSE (position 1-based). */
  apply: (position: number, layout: EvseLayout) => void;
  log: Logger;
  retryMs?: number;
}

export class EvseLayoutQuery {
  private readonly answered: boolean[];
  private readonly asking: boolean[];
  /** Which EVSE manager (index) reported each EVSE id. */
  private readonly reportedBy = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: LayoutQueryDeps) {
    this.answered = deps.evseManagers.map(() => false);
    this.asking = deps.evseManagers.map(() => false);
  }

  /** Every EVSE manager has said which EVSE it is (an invalid answer counts: it will not change). */
  get complete(): boolean {
    return this.answered.every(Boolean);
  }

  /** Asks every EVSE manager that has not answered, now and every few seconds until all have. */
  start(): void {
    if (this.stopped || this.timer !== undefined) return;
    this.askUnanswered();
    this.timer = setInterval(() => this.askUnanswered(), this.deps.retryMs ?? GET_EVSE_RETRY_MS);
    this.stopWhenDone();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  private askUnanswered(): void {
    this.deps.evseManagers.forEach((evse, index) => {
      if (this.answered[index] || this.asking[index]) return;
      this.asking[index] = true;
      void this.ask(evse, index).finally(() => {
        this.asking[index] = false;
        this.stopWhenDone();
      });
    });
  }

  private async ask(evse: EvseManagerConnection, index: number): Promise<void> {
    const context = { evse_manager: evse.moduleId, evse_position: index + 1 };
    const answer = await this.deps.call(evse.moduleId, evse.implId, 'get_evse', {});
    if (this.stopped) return;
    if (!answer.ok) {
      this.deps.log.warn({ ...context, error_type: answer.error.type, reason: answer.error.message }, 'get_evse failed; asking again in a few seconds');
      return;
    }
    const problem = this.deps.validator.checkResult('get_evse', answer.retval) ?? duplicateConnector(answer.retval as Evse);
    this.answered[index] = true;
    if (problem) {
      // Asking again would bring the same answer: it keeps counting as one connector of type Unknown.
      this.deps.log.error({ ...context, reason: problem }, 'get_evse answered with an invalid EVSE; it counts as one connector of type Unknown');
      return;
    }
    const described = answer.retval as Evse;
    const layout: EvseLayout = { id: described.id, connectors: described.connectors.map((c) => ({ id: c.id, type: c.type ?? UNKNOWN_TYPE })) };
    this.deps.log.info({ ...context, evse_id: layout.id, connector_types: layout.connectors.map((c) => c.type).join(',') }, 'EVSE manager described its EVSE');
    const other = this.reportedBy.get(layout.id);
    if (other !== undefined && other !== index) {
      const otherManager = this.deps.evseManagers[other]?.moduleId;
      this.deps.log.error({ ...context, evse_id: layout.id, other_evse_manager: otherManager }, 'two EVSE managers report the same EVSE id; the later answer takes it');
    }
    this.reportedBy.set(layout.id, index);
    this.deps.apply(index + 1, layout);
  }

  private stopWhenDone(): void {
    if (this.timer !== undefined && this.answered.every(Boolean)) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

function duplicateConnector(evse: Evse): string | undefined {
  const ids = evse.connectors.map((c) => c.id);
  const repeated = ids.find((id, i) => ids.indexOf(id) !== i);
  return repeated === undefined ? undefined : `connector id ${repeated} appears twice`;
}
