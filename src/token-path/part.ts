// The module in EVerest's token path (spec/everest-token-path.md §2), as one part of the module:
// the gate on its auth_token_provider, the validator on its auth_token_validator, in front of
// Auth. With nothing connected to token_providers it changes nothing.
import type { Connection } from '../config/load';
import type { ReservationBook } from '../domain/reservation-book';
import { TOKEN_VALIDATOR_IMPL_ID } from '../everest/topics';
import { interfaceValidators } from '../generated/validators';
import type { Logger } from '../log';
import type { ModulePart } from '../module/part';
import type { CallCmd, Publish } from '../module/ports';
import { InterfaceValidator } from '../schema/validate';
import { TokenGate } from './gate';
import type { TokenLedger } from './ledger';
import { TokenValidation } from './validator';

export interface TokenPathDeps {
  prefix: string;
  moduleId: string;
  providers: readonly Connection[];
  validators: readonly Connection[];
  /** Every EVSE manager, for Plug&Charge refusals (authorize_response). */
  evseManagers: readonly Connection[];
  validationTimeoutMs: number;
  book: ReservationBook;
  publish: Publish;
  call: CallCmd;
  isReady: () => boolean;
  layoutKnown: () => boolean;
  evseManagerOf: (evseId: number) => Connection | undefined;
  ledger: TokenLedger;
  log: Logger;
}

export function enterTokenPath(deps: TokenPathDeps): ModulePart {
  const gate = new TokenGate({ ...deps, validator: new InterfaceValidator(interfaceValidators.auth_token_provider) });
  const validation = new TokenValidation({ ...deps, timeoutMs: deps.validationTimeoutMs, validator: new InterfaceValidator(interfaceValidators.auth_token_validator) });
  return {
    // A card tap must not wait: the validation round trips at QoS 1 (mqtt/provider.ts says why).
    implementations: [{ implId: TOKEN_VALIDATOR_IMPL_ID, iface: interfaceValidators.auth_token_validator, handlers: validation.handlers, qos: 1 }],
    async connect({ subscribe, prepareCall }) {
      if (deps.providers.length > 0) await Promise.all(deps.evseManagers.map((evse) => prepareCall(evse.moduleId, evse.implId, 'authorize_response')));
      await validation.connect(subscribe, prepareCall);
    },
    // A token is decided as soon as it arrives: not before the reservations from before a restart are held again.
    listen: ({ subscribe }) => gate.connect(subscribe),
  };
}
