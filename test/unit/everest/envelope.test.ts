// Decoding what arrives and encoding what we send, in the exact shapes of spec/everest-mqtt.md.
import { MAX_CALL_ID_LENGTH, MAX_JSON_DEPTH, decodeCmd, decodeErrorEvent, decodeResult, decodeVar, encodeCmd, encodeError, encodeModuleReady, encodeResult, encodeVar, parseJson } from '../../../src/everest/envelope';
import { CmdError } from '../../../src/everest/errors';

const buf = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const cmd = (data: Record<string, unknown>): Buffer => buf({ msg_type: 'Cmd', data });
const GOOD = { id: 'c0ffee-1', origin: 'ocpp', args: { connector_id: 1 } };

/** `levels` objects nested in one another: {a:{a:...{}}}. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe('decodeCmd', () => {
  it('gives the call to run for a well-formed Cmd', () => {
    expect(decodeCmd(cmd(GOOD))).toEqual({ kind: 'call', call: { id: 'c0ffee-1', origin: 'ocpp', args: { connector_id: 1 } } });
  });

  describe('drops what cannot be answered', () => {
    it.each([
      ['not JSON', 'not json {'],
      ['truncated JSON', '{"msg_type":"Cmd","data":{"id":"1"'],
      ['a JSON array', '[1,2]'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['a JSON string', '"Cmd"'],
      ['no data', { msg_type: 'Cmd' }],
      ['data not an object', { msg_type: 'Cmd', data: [GOOD] }],
    ])('%s', (_what, payload) => {
      expect(decodeCmd(buf(payload)).kind).toBe('drop');
    });

    it.each([
      ['missing', { origin: 'ocpp', args: {} }],
      ['empty', { id: '', origin: 'ocpp', args: {} }],
      ['a number', { id: 7, origin: 'ocpp', args: {} }],
      ['too long', { id: 'x'.repeat(MAX_CALL_ID_LENGTH + 1), origin: 'ocpp', args: {} }],
    ])('an id that is %s', (_what, data) => {
      expect(decodeCmd(cmd(data)).kind).toBe('drop');
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['a number', 5],
      ['with a level separator', 'ocpp/../x'],
      ['a wildcard +', '+'],
      ['a wildcard #', '#'],
      ['with NUL', 'ocpp\u0000'],
    ])('an origin that is %s', (_what, origin) => {
      expect(decodeCmd(cmd({ id: '1', origin, args: {} }))).toEqual({ kind: 'drop', reason: expect.stringContaining('origin') });
    });

    it('drops a hostile payload when its origin is unusable too: there is nowhere to answer', () => {
      expect(decodeCmd(buf('{"msg_type":"Cmd","data":{"id":"1","origin":"#","args":{"__proto__":{"x":1}}}}')).kind).toBe('drop');
    });
  });

  describe('answers MessageParsingError when the caller can be answered but the call cannot be read', () => {
    it.each([
      ['__proto__ in args', '{"msg_type":"Cmd","data":{"id":"1","origin":"ocpp","args":{"__proto__":{"polluted":true}}}}'],
      ['constructor deep inside args', '{"msg_type":"Cmd","data":{"id":"1","origin":"ocpp","args":{"r":{"list":[{"constructor":{"prototype":{}}}]}}}}'],
      ['prototype next to data', '{"msg_type":"Cmd","prototype":1,"data":{"id":"1","origin":"ocpp","args":{}}}'],
    ])('%s', (_what, text) => {
      const decoded = decodeCmd(buf(text));
      expect(decoded).toEqual({ kind: 'reject', id: '1', origin: 'ocpp', error: expect.any(CmdError) });
      expect(decoded.kind === 'reject' && decoded.error.type).toBe('MessageParsingError');
      expect(decoded.kind === 'reject' && decoded.error.message).toMatch(/forbidden key/);
    });

    it(`accepts objects nested ${MAX_JSON_DEPTH} deep in all and refuses one level more`, () => {
      // The message is level 1, data 2, args 3.
      expect(decodeCmd(cmd({ ...GOOD, args: nested(MAX_JSON_DEPTH - 2) })).kind).toBe('call');
      const deeper = decodeCmd(cmd({ ...GOOD, args: nested(MAX_JSON_DEPTH - 1) }));
      expect(deeper.kind === 'reject' && deeper.error.message).toMatch(/nested deeper/);
    });

    it('refuses nesting through arrays as well', () => {
      let deep: unknown = [];
      for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
      expect(decodeCmd(cmd({ ...GOOD, args: { deep } })).kind).toBe('reject');
    });

    it('refuses a message that is not a Cmd', () => {
      const decoded = decodeCmd(buf({ msg_type: 'Var', data: GOOD }));
      expect(decoded.kind === 'reject' && decoded.error.type).toBe('MessageParsingError');
    });

    it.each([
      ['missing', undefined],
      ['an array', [1]],
      ['a string', 'connector_id=1'],
      ['null', null],
    ])('refuses args that are %s', (_what, args) => {
      const decoded = decodeCmd(cmd({ id: '1', origin: 'ocpp', args }));
      expect(decoded).toEqual({ kind: 'reject', id: '1', origin: 'ocpp', error: expect.objectContaining({ type: 'MessageParsingError' }) });
    });
  });
});

describe('parseJson', () => {
  it('parses ordinary JSON and refuses forbidden keys', () => {
    expect(parseJson('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(() => parseJson('{"a":{"__proto__":{}}}')).toThrow(/forbidden key "__proto__"/);
  });
});

describe('what we send', () => {
  it('answers a call with the CmdResult envelope of everest-mqtt.md', () => {
    expect(JSON.parse(encodeResult('id-1', 'reservation', 'Accepted'))).toEqual({
      msg_type: 'CmdResult',
      data: { type: 'result', data: { id: 'id-1', retval: 'Accepted', origin: 'reservation' } },
    });
  });

  it('keeps "retval": null for a command whose result type is null', () => {
    const sent = JSON.parse(encodeResult('id-1', 'reservation', null)) as { data: { data: Record<string, unknown> } };
    expect(Object.hasOwn(sent.data.data, 'retval')).toBe(true);
    expect(sent.data.data.retval).toBeNull();
  });

  it('answers an error with the __everest__error_type and __everest__error_msg keys, and no retval', () => {
    expect(JSON.parse(encodeError('id-2', 'reservation', new CmdError('SchemaValidationError', "argument 'connector_id': must be integer")))).toEqual({
      msg_type: 'CmdResult',
      data: {
        type: 'result',
        data: {
          id: 'id-2',
          origin: 'reservation',
          error: { __everest__error_type: 'SchemaValidationError', __everest__error_msg: "argument 'connector_id': must be integer" },
        },
      },
    });
  });

  it('publishes a var, calls a command and announces readiness in the framework shapes', () => {
    expect(JSON.parse(encodeVar({ reservation_id: 1, reason: 'Expired' }))).toEqual({ msg_type: 'Var', data: { data: { reservation_id: 1, reason: 'Expired' } } });
    expect(JSON.parse(encodeCmd('id-3', { reservation_id: 4 }, 'reservation'))).toEqual({
      msg_type: 'Cmd',
      data: { id: 'id-3', args: { reservation_id: 4 }, origin: 'reservation' },
    });
    expect(JSON.parse(encodeModuleReady())).toEqual({ msg_type: 'ModuleReady', data: true });
  });
});

describe('what other modules answer and publish', () => {
  it('reads back a result and an error answer', () => {
    expect(decodeResult(buf(encodeResult('a', 'evse', true)))).toEqual({ id: 'a', ok: true, retval: true });
    expect(decodeResult(buf(encodeResult('a', 'evse', null)))).toEqual({ id: 'a', ok: true, retval: null });
    const error = decodeResult(buf(encodeError('b', 'evse', new CmdError('HandlerException', 'boom'))));
    expect(error).toEqual({ id: 'b', ok: false, error: expect.objectContaining({ type: 'HandlerException', message: 'boom' }) });
  });

  it.each([
    ['not JSON', 'nope'],
    ['another msg_type', { msg_type: 'Var', data: { type: 'result', data: { id: 'a', retval: 1 } } }],
    ['no id', { msg_type: 'CmdResult', data: { type: 'result', data: { retval: 1 } } }],
    ['neither retval nor error', { msg_type: 'CmdResult', data: { type: 'result', data: { id: 'a' } } }],
    ['an unknown error type', { msg_type: 'CmdResult', data: { type: 'result', data: { id: 'a', error: { __everest__error_type: 'Oops' } } } }],
  ])('ignores an answer with %s', (_what, payload) => {
    expect(decodeResult(buf(payload))).toBeUndefined();
  });

  it('reads a var value, including a null one, and ignores what is not a Var', () => {
    expect(decodeVar(buf({ msg_type: 'Var', data: { data: { event: 'Enabled' } } }))).toEqual({ value: { event: 'Enabled' } });
    expect(decodeVar(buf({ msg_type: 'Var', data: { data: null } }))).toEqual({ value: null });
    expect(decodeVar(buf({ msg_type: 'Var', data: {} }))).toBeUndefined();
    expect(decodeVar(buf({ msg_type: 'Cmd', data: { data: 1 } }))).toBeUndefined();
    expect(decodeVar(buf('{"msg_type":"Var","data":{"data":{"__proto__":{}}}}'))).toBeUndefined();
  });

  it('tells a raised error from a cleared one', () => {
    const data = { type: 'evse_manager/Inoperative', message: 'x', state: 'Active' };
    expect(decodeErrorEvent(buf({ msg_type: 'RaiseError', data }))).toEqual({ raised: true, data });
    expect(decodeErrorEvent(buf({ msg_type: 'ClearError', data }))).toEqual({ raised: false, data });
    expect(decodeErrorEvent(buf({ msg_type: 'Var', data }))).toBeUndefined();
  });
});
