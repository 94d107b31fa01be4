// The validator in front of the real ones (spec/everest-token-path.md §2.2): validate_token asks
// every required validator, takes the first Accepted in connection order as Auth does, and adds
// the reservation the token uses on the one EVSE its list names, or answers NotAtThisTime where
// another driver's reservation holds it. validate_result_update is passed on as it came.
import type { Connection } from '../config/load';
import type { ReservationBook } from '../domain/reservation-book';
import { validatedUse } from '../domain/token-gate';
import { decodeVar, encodeVar } from '../everest/envelope';
import { TOKEN_VALIDATOR_IMPL_ID, varTopic } from '../everest/topics';
import type { AuthTokenValidatorCmdArgs, ProvidedIdToken, ValidationResult } from '../generated/types';
import type { Logger } from '../log';
import type { CallCmd, Publish, Subscribe } from '../module/ports';
import type { InterfaceValidator } from '../schema/validate';
import type { TokenLedger, TokenWho } from './ledger';
import { redact } from './redact';

/** What Auth makes of a validator that fails or does not answer (Auth.cpp: AuthorizationStatus Unknown). */
const NO_ANSWER: ValidationResult = { authorization_status: 'Unknown', tariff_messages: [] };

export interface TokenValidationDeps {
  prefix: string;
  moduleId: string;
  validators: readonly Connection[];
  book: ReservationBook;
  call: CallCmd;
  /** How long each validator may take (they are asked all at once). */
  timeoutMs: number;
  /** Under the manager nothing is published before GlobalReady. */
  isReady: () => boolean;
  publish: Publish;
  /** auth_token_validator: the answers' and updates' schemas. */
  validator: InterfaceValidator;
  ledger: TokenLedger;
  log: Logger;
}

export class TokenValidation {
  constructor(private readonly deps: TokenValidationDeps) {}

  /** The implementation's commands (validated by the command provider against auth_token_validator). */
  get handlers(): { validate_token: (args: AuthTokenValidatorCmdArgs['validate_token']) => Promise<ValidationResult> } {
    return { validate_token: ({ provided_token }) => this.validate(provided_token) };
  }

  /** Prepares the calls and follows every validator's validate_result_update. */
  async connect(subscribe: Subscribe, prepareCall: (moduleId: string, implId: string, cmd: string, qos?: 1 | 2) => Promise<void>): Promise<void> {
    const { prefix, moduleId, validators, log } = this.deps;
    const ours = varTopic(prefix, moduleId, TOKEN_VALIDATOR_IMPL_ID, 'validate_result_update');
    await Promise.all(
      validators.flatMap((validator) => [
        prepareCall(validator.moduleId, validator.implId, 'validate_token', 1),
        subscribe(varTopic(prefix, validator.moduleId, validator.implId, 'validate_result_update'), 2, (payload) => {
          const decoded = decodeVar(payload);
          const problem = decoded ? this.deps.validator.checkVar('validate_result_update', decoded.value) : 'not a Var envelope';
          if (!decoded || problem) {
            log.warn({ validator: validator.moduleId, reason: problem }, 'invalid validate_result_update dropped');
            return;
          }
          if (!this.deps.isReady()) {
            log.warn({ validator: validator.moduleId }, 'validate_result_update before GlobalReady dropped');
            return;
          }
          void this.deps.publish(ours, encodeVar(decoded.value), 2);
        }),
      ]),
    );
  }

  private async validate(token: ProvidedIdToken): Promise<ValidationResult> {
    const { log, ledger } = this.deps;
    const who: TokenWho = { token: redact(token.id_token.value), authorization_type: token.authorization_type };
    const answer = await this.firstAccepted(token, who);
    if (answer.authorization_status !== 'Accepted') return answer;
    const parentIdToken = answer.parent_id_token?.value ?? token.parent_id_token?.value;
    const use = validatedUse(this.deps.book, token.connectors, token.id_token.value, parentIdToken);
    const evseId = token.connectors?.[0] as number;
    switch (use.kind) {
      case 'uses':
        log.info({ ...who, evse_id: evseId, reservation_id: use.reservationId }, 'token validated: it uses its reservation there');
        return { ...answer, reservation_id: use.reservationId };
      case 'refused':
        log.info({ ...who, evse_id: evseId, why: use.why }, 'token validated but refused: NotAtThisTime, the EVSE is held for another driver');
        ledger.record({ kind: 'refused_at_validation', ...who, evse_id: evseId, why: use.why });
        return { ...answer, authorization_status: 'NotAtThisTime' };
      case 'unaffected':
        return answer;
    }
  }

  /**
   * Every validator is asked at once; the answer is the first Accepted in connection order (as Auth
   * takes it), known as soon as every validator before it has answered, else the last one's answer.
   */
  private firstAccepted(token: ProvidedIdToken, who: TokenWho): Promise<ValidationResult> {
    const { validators } = this.deps;
    if (validators.length === 0) return Promise.resolve({ ...NO_ANSWER, tariff_messages: [] });
    const answers = validators.map((validator) => this.ask(validator, token, who));
    return new Promise<ValidationResult>((resolve) => {
      const settled: Array<ValidationResult | undefined> = validators.map(() => undefined);
      const decide = (): void => {
        for (const result of settled) {
          if (result === undefined) return;
          if (result.authorization_status === 'Accepted') return resolve(result);
        }
        resolve(settled[settled.length - 1] as ValidationResult);
      };
      answers.forEach((answer, index) =>
        void answer.then((result) => {
          settled[index] = result;
          decide();
        }),
      );
    });
  }

  private async ask(validator: Connection, token: ProvidedIdToken, who: TokenWho): Promise<ValidationResult> {
    const { call, timeoutMs, log } = this.deps;
    const where = { ...who, validator: validator.moduleId };
    const answer = await call(validator.moduleId, validator.implId, 'validate_token', { provided_token: token }, timeoutMs);
    if (!answer.ok) {
      log.warn({ ...where, error_type: answer.error.type, reason: answer.error.message }, 'validator did not answer; counted as Unknown, as Auth counts it');
      return { ...NO_ANSWER, tariff_messages: [] };
    }
    const problem = this.deps.validator.checkResult('validate_token', answer.retval);
    if (problem) {
      log.warn({ ...where, reason: problem }, 'validator answered with an invalid ValidationResult; counted as Unknown');
      return { ...NO_ANSWER, tariff_messages: [] };
    }
    return answer.retval as ValidationResult;
  }
}
