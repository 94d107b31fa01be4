// EVerest topic names (spec/everest-mqtt.md) and the one check that every topic level built
// from received data passes (spec: "An origin that is not a plain topic level ... is never used").
import {
  MAX_TOPIC_LEVEL_LENGTH,
  cmdTopic,
  errorTopic,
  isPlainTopicLevel,
  isValidPrefix,
  readyTopic,
  responseTopic,
  varTopic,
} from '../../../src/everest/topics';

describe('topics', () => {
  it('builds the command topic and the response topic for a caller', () => {
    const cmd = cmdTopic('everest/', 'reservation', 'main', 'reserve_now');
    expect(cmd).toBe('everest/modules/reservation/impl/main/cmd/reserve_now');
    expect(responseTopic(cmd, 'ocpp')).toBe('everest/modules/reservation/impl/main/cmd/reserve_now/response/ocpp');
  });

  it('builds var, error and ready topics', () => {
    expect(varTopic('everest/', 'reservation', 'main', 'reservation_end')).toBe('everest/modules/reservation/impl/main/var/reservation_end');
    expect(errorTopic('everest/', 'evse_manager_1', 'evse', 'evse_manager/Inoperative')).toBe(
      'everest/modules/evse_manager_1/impl/evse/error/evse_manager/Inoperative',
    );
    expect(readyTopic('everest/', 'reservation')).toBe('everest/modules/reservation/ready');
  });

  it('puts a custom or empty prefix in front unchanged', () => {
    expect(readyTopic('site/a/', 'r')).toBe('site/a/modules/r/ready');
    expect(cmdTopic('', 'r', 'main', 'x')).toBe('modules/r/impl/main/cmd/x');
  });
});

describe('isPlainTopicLevel', () => {
  it.each(['ocpp', 'evse_manager-1.x', 'a', 'réservation', 'модуль', '充电桩', '🔌', ' spaced '])('accepts %j', (level) => {
    expect(isPlainTopicLevel(level)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['a level separator', 'ocpp/x'],
    ['a lone separator', '/'],
    ['a single-level wildcard', '+'],
    ['a wildcard inside', 'oc+pp'],
    ['a multi-level wildcard', '#'],
    ['a wildcard at the end', 'ocpp#'],
    ['NUL', 'oc\u0000pp'],
    ['a newline', 'ocpp\n'],
    ['DEL', 'ocpp\u007f'],
    ['a C1 control character', 'ocpp\u0085'],
    ['a lone surrogate', 'ocpp\ud800'],
    ['a non-character', 'ocpp\uffff'],
    ['a supplementary non-character', 'ocpp\u{10ffff}'],
  ])('refuses a level with %s', (_what, level) => {
    expect(isPlainTopicLevel(level)).toBe(false);
  });

  it('accepts a level up to the length limit and refuses one character more', () => {
    expect(isPlainTopicLevel('x'.repeat(MAX_TOPIC_LEVEL_LENGTH))).toBe(true);
    expect(isPlainTopicLevel('x'.repeat(MAX_TOPIC_LEVEL_LENGTH + 1))).toBe(false);
  });

  it.each([undefined, null, 42, {}, ['ocpp'], true])('refuses the non-string %p', (value) => {
    expect(isPlainTopicLevel(value)).toBe(false);
  });
});

describe('isValidPrefix', () => {
  it.each(['', 'everest/', 'site/charger-1/'])('accepts %j', (prefix) => {
    expect(isValidPrefix(prefix)).toBe(true);
  });

  it.each(['everest', '/', 'a//', '+/', 'a/#/', 'a\u0000/'])('refuses %j', (prefix) => {
    expect(isValidPrefix(prefix)).toBe(false);
  });
});
