// Doubles for EVerest's token path (spec/everest-token-path.md): token providers (an RFID reader,
// the OCPP module's auth_provider), a validator (auth_token_validator), and Auth's side of the
// module (it follows the module's provided_token and calls its validate_token). With the module
// and EvseManager doubles (evse-double.ts) they make a charger whose tokens pass the module.
import type { Broker } from './broker';
import type { EvseDescription, EvseDouble } from './evse-double';
import { type EvseCharger, type EvseChargerOptions, startEvseModule } from './evse-station';
import { EvseDouble as Evse } from './evse-double';
import { uniquePrefix } from './module-process';
import { type Collector, Probe, type ServedCall, type ServeReply } from './probe';
import { sleep } from './teardown';

export interface IdToken {
  value: string;
  type: string;
}

/** EVerest's ProvidedIdToken (types/authorization.yaml). */
export interface ProvidedIdToken {
  id_token: IdToken;
  authorization_type: 'OCPP' | 'RFID' | 'Autocharge' | 'PlugAndCharge' | 'BankCard';
  request_id?: number;
  parent_id_token?: IdToken;
  connectors?: number[];
  prevalidated?: boolean;
  certificate?: string;
}

/** EVerest's ValidationResult. */
export interface ValidationResult {
  authorization_status: string;
  tariff_messages: Array<{ content: string; format?: string; language?: string }>;
  parent_id_token?: IdToken;
  reservation_id?: number;
  evse_ids?: number[];
  expiry_time?: string;
}

/** An RFID card as a reader presents it (no list: any EVSE), unless told otherwise. */
export function card(value: string, more: Partial<ProvidedIdToken> = {}): ProvidedIdToken {
  return { id_token: { value, type: 'ISO14443' }, authorization_type: 'RFID', ...more };
}

/** A remote start as the OCPP 2.0.1 module provides it: the EVSE, the remoteStartId, the group token. */
export function remoteStart(value: string, evseId: number, more: Partial<ProvidedIdToken> = {}): ProvidedIdToken {
  return { id_token: { value, type: 'Central' }, authorization_type: 'OCPP', connectors: [evseId], request_id: 77, ...more };
}

/** A Plug&Charge contract as EvseManager's token_provider provides it, for its own EVSE. */
export function plugAndCharge(emaid: string, evseId: number): ProvidedIdToken {
  return { id_token: { value: emaid, type: 'eMAID' }, authorization_type: 'PlugAndCharge', connectors: [evseId], certificate: '-----BEGIN CERTIFICATE-----' };
}

export const ACCEPTED: ValidationResult = { authorization_status: 'Accepted', tariff_messages: [] };

/** A module providing auth_token_provider (a reader's `main`, OCPP's `auth_provider`). */
export class TokenProviderDouble {
  private constructor(
    readonly probe: Probe,
    readonly moduleId: string,
    readonly implId: string,
  ) {}

  static async start(broker: Broker, prefix: string, moduleId: string, implId = 'main'): Promise<TokenProviderDouble> {
    return new TokenProviderDouble(await Probe.connect(broker.url, { prefix, origin: moduleId }), moduleId, implId);
  }

  get connection(): { module_id: string; implementation_id: string } {
    return { module_id: this.moduleId, implementation_id: this.implId };
  }

  async present(token: ProvidedIdToken): Promise<void> {
    await this.probe.publishVar(this.moduleId, this.implId, 'provided_token', token);
  }
}

export type ValidatorAnswer = (token: ProvidedIdToken) => ServeReply | Promise<ServeReply>;

/** A module providing auth_token_validator (the OCPP module's auth_validator, a local list): answers validate_token as told. */
export class ValidatorDouble {
  readonly calls: ServedCall[] = [];
  private answer: ValidatorAnswer = () => ({ retval: ACCEPTED });

  private constructor(
    readonly probe: Probe,
    readonly moduleId: string,
    readonly implId: string,
  ) {}

  static async start(broker: Broker, prefix: string, moduleId: string, implId = 'auth_validator'): Promise<ValidatorDouble> {
    const double = new ValidatorDouble(await Probe.connect(broker.url, { prefix, origin: moduleId }), moduleId, implId);
    await double.probe.serve(moduleId, implId, 'validate_token', (args, call) => {
      double.calls.push(call);
      return double.answer(args.provided_token as ProvidedIdToken);
    });
    return double;
  }

  get connection(): { module_id: string; implementation_id: string } {
    return { module_id: this.moduleId, implementation_id: this.implId };
  }

  /** How validate_token is answered from now on. */
  answers(answer: ValidatorAnswer): void {
    this.answer = answer;
  }

  /** The tokens it was asked about. */
  asked(): ProvidedIdToken[] {
    return this.calls.map((call) => (call.args as { provided_token: ProvidedIdToken }).provided_token);
  }

  async publishUpdate(update: { validation_result: ValidationResult; connector_id: number }): Promise<void> {
    await this.probe.publishVar(this.moduleId, this.implId, 'validate_result_update', update);
  }
}

/** Auth's side of the module: it follows the module's provided_token and validate_result_update and calls its validate_token. */
export class AuthSide {
  private constructor(
    readonly probe: Probe,
    private readonly moduleId: string,
    readonly tokens: Collector,
    readonly updates: Collector,
  ) {}

  static async start(broker: Broker, prefix: string, moduleId: string): Promise<AuthSide> {
    const probe = await Probe.connect(broker.url, { prefix, origin: 'auth' });
    const tokens = await probe.collect(`${prefix}modules/${moduleId}/impl/token_provider/var/provided_token`);
    const updates = await probe.collect(`${prefix}modules/${moduleId}/impl/token_validator/var/validate_result_update`);
    return new AuthSide(probe, moduleId, tokens, updates);
  }

  /** Every token the module passed on, in order. */
  received(): ProvidedIdToken[] {
    return this.tokens.messages.map((payload) => (payload as { data: { data: ProvidedIdToken } }).data.data);
  }

  /** The `count`-th token the module passed on (1-based). */
  async nth(count: number, timeoutMs = 10_000): Promise<ProvidedIdToken> {
    await this.tokens.waitForCount(count, timeoutMs);
    return this.received()[count - 1] as ProvidedIdToken;
  }

  /** validate_token on the module's token_validator, as Auth calls it. */
  validate(token: ProvidedIdToken, timeoutMs?: number): Promise<ValidationResult> {
    return this.probe.invoke<ValidationResult>(this.moduleId, 'validate_token', { provided_token: token }, { implId: 'token_validator', ...(timeoutMs ? { timeoutMs } : {}) });
  }
}

export interface TokenCharger extends EvseCharger {
  reader: TokenProviderDouble;
  ocpp: TokenProviderDouble;
  validator: ValidatorDouble;
  auth: AuthSide;
  /** The module's token events (narrowed and refused tokens), as watch and the dashboard see them. */
  tokenEvents: Collector;
}

/**
 * A charger in the token path: EVSE-manager doubles for `evses`, a reader and the OCPP module's
 * auth_provider (and every EvseManager's token_provider) connected to the module's token_providers,
 * one validator to its token_validators, and Auth's side following the module.
 */
export async function startTokenCharger(broker: Broker, evses: EvseDescription[], options: EvseChargerOptions = {}): Promise<TokenCharger> {
  const prefix = options.prefix ?? uniquePrefix();
  const doubles: EvseDouble[] = [];
  for (const [index, evse] of evses.entries()) doubles.push(await Evse.start(broker, prefix, `evse_manager_${index + 1}`, { ...options.doubles, evse }));
  const reader = await TokenProviderDouble.start(broker, prefix, 'rfid_reader');
  const ocpp = await TokenProviderDouble.start(broker, prefix, 'ocpp', 'auth_provider');
  const validator = await ValidatorDouble.start(broker, prefix, 'ocpp_validator');
  const auth = await AuthSide.start(broker, prefix, options.moduleId ?? 'reservation');
  const tokenEvents = await auth.probe.collect(`${prefix}modules/${options.moduleId ?? 'reservation'}/token_events`, 1);
  const charger = await startEvseModule(broker, doubles, {
    ...options,
    prefix,
    extraConnections: {
      token_providers: [reader.connection, ocpp.connection, ...doubles.map((d) => d.tokenProvider)],
      token_validators: [validator.connection],
    },
  });
  return { ...charger, reader, ocpp, validator, auth, tokenEvents };
}

/** Waits until `check` holds (generous: a shared machine), failing with `what`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
