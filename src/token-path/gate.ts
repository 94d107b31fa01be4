// The gate (spec/everest-token-path.md §2.1): every token of the required token providers is
// passed on at once on this module's own auth_token_provider, identical but for `connectors`,
// narrowed to the EVSEs where it may start. Auth grants only EVSEs of that list and refuses an
// empty one before asking any validator, so a stranger's card never reaches a reserved EVSE.
import type { Connection } from '../config/load';
import type { ReservationBook } from '../domain/reservation-book';
import { type GateDecision, narrowToken } from '../domain/token-gate';
import { decodeVar, encodeVar } from '../everest/envelope';
import { TOKEN_PROVIDER_IMPL_ID, varTopic } from '../everest/topics';
import type { ProvidedIdToken } from '../generated/types';
import type { Logger } from '../log';
import type { CallCmd, Publish, Subscribe } from '../module/ports';
import type { InterfaceValidator } from '../schema/validate';
import type { GateEvent, TokenLedger } from './ledger';
import { redact } from './redact';

/**
 * QoS 1 both ways for tokens: MQTT.js and libmosquitto (EVerest's framework) hand a QoS 2 message
 * over only once PUBREL has come, a round trip later, and a card tap must not wait. Nothing is lost:
 * the sessions are clean, so neither QoS survives a reconnect, and Auth ignores a token it has in process.
 */
const TOKEN_QOS = 1;

/** What an EvseManager is told for a Plug&Charge token refused here, so the car leaves its Authorize loop. */
const NOT_AT_THIS_TIME = { authorization_status: 'NotAtThisTime', tariff_messages: [] } as const;

export interface TokenGateDeps {
  prefix: string;
  moduleId: string;
  providers: readonly Connection[];
  book: ReservationBook;
  /** Until every EVSE manager said which EVSE it is, ids cannot be checked: tokens pass unchanged. */
  layoutKnown: () => boolean;
  /** Under the manager nothing is published before GlobalReady (Auth discards such tokens anyway). */
  isReady: () => boolean;
  publish: Publish;
  call: CallCmd;
  /** The EVSE manager of an EVSE id, if the module has one. */
  evseManagerOf: (evseId: number) => Connection | undefined;
  /** auth_token_provider: provided_token's schema. */
  validator: InterfaceValidator;
  ledger: TokenLedger;
  log: Logger;
}

export class TokenGate {
  private readonly topic: string;

  constructor(private readonly deps: TokenGateDeps) {
    this.topic = varTopic(deps.prefix, deps.moduleId, TOKEN_PROVIDER_IMPL_ID, 'provided_token');
  }

  /** Follows every required provider's provided_token. */
  async connect(subscribe: Subscribe): Promise<void> {
    const { prefix, providers } = this.deps;
    await Promise.all(
      providers.map((provider) => subscribe(varTopic(prefix, provider.moduleId, provider.implId, 'provided_token'), TOKEN_QOS, (payload) => this.received(provider, payload))),
    );
  }

  private received(provider: Connection, payload: Buffer): void {
    const { log, ledger } = this.deps;
    const context = { provider: provider.moduleId };
    const decoded = decodeVar(payload);
    const problem = decoded ? this.deps.validator.checkVar('provided_token', decoded.value) : 'not a Var envelope';
    if (!decoded || problem) {
      log.warn({ ...context, reason: problem }, 'invalid provided_token dropped (Auth would refuse it too)');
      return;
    }
    const token = decoded.value as ProvidedIdToken;
    const who = { token: redact(token.id_token.value), authorization_type: token.authorization_type, ...context };
    if (!this.deps.isReady()) {
      log.warn(who, 'token before GlobalReady dropped: Auth discards tokens until it is ready');
      return;
    }
    const decision = this.deps.layoutKnown()
      ? narrowToken(this.deps.book, {
          idToken: token.id_token.value,
          ...(token.parent_id_token ? { parentIdToken: token.parent_id_token.value } : {}),
          prevalidated: token.prevalidated === true,
          ...(token.connectors ? { evseIds: token.connectors } : {}),
        })
      : undefined;
    if (decision === undefined || unchanged(token, decision)) {
      void this.deps.publish(this.topic, encodeVar(token), TOKEN_QOS);
      ledger.passed();
      log.debug(who, 'token passed on unchanged');
      return;
    }
    void this.deps.publish(this.topic, encodeVar({ ...token, connectors: decision.evseIds }), TOKEN_QOS);
    if (decision.removed.length === 0) {
      // Nothing taken out, only the EVSE it holds a reservation on put first: not a narrowing.
      ledger.passed();
      log.debug({ ...who, evses_kept: decision.evseIds }, 'token passed on with the EVSE it holds a reservation on first');
      return;
    }
    const refused = decision.evseIds.length === 0;
    const event: GateEvent = {
      kind: refused ? 'refused' : 'narrowed',
      ...who,
      evses_asked: token.connectors ?? 'all',
      evses_kept: decision.evseIds,
      removed: decision.removed.map(({ evseId, why }) => ({ evse_id: evseId, why })),
    };
    const { kind: _kind, ...details } = event;
    log.info(details, refused ? 'token refused: no EVSE where it may start (Auth rejects it without asking a validator)' : 'token narrowed to the EVSEs where it may start');
    ledger.record(event);
    if (refused && token.authorization_type === 'PlugAndCharge') this.releasePlugAndCharge(token, who);
  }

  /** EvseManager waits for an answer to a Plug&Charge car that Auth, given [], never sends. */
  private releasePlugAndCharge(token: ProvidedIdToken, who: Record<string, unknown>): void {
    for (const evseId of token.connectors ?? []) {
      const evse = this.deps.evseManagerOf(evseId);
      if (!evse) continue;
      const where = { ...who, evse_id: evseId, evse_manager: evse.moduleId };
      void this.deps.call(evse.moduleId, evse.implId, 'authorize_response', { provided_token: token, validation_result: NOT_AT_THIS_TIME }).then((answer) => {
        if (answer.ok) this.deps.log.info(where, 'Plug&Charge token refused: told its EVSE manager NotAtThisTime');
        else this.deps.log.warn({ ...where, error_type: answer.error.type, reason: answer.error.message }, 'authorize_response to the EVSE manager failed');
      });
    }
  }
}

/** Nothing taken out and nothing moved: the token goes on exactly as it came (an absent list stays absent). */
function unchanged(token: ProvidedIdToken, decision: GateDecision): boolean {
  if (decision.removed.length > 0) return false;
  if (token.connectors) return decision.evseIds.every((id, i) => token.connectors?.[i] === id);
  return decision.evseIds.every((id, i) => i === 0 || (decision.evseIds[i - 1] as number) < id);
}
