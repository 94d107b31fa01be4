// The validators the module uses (compiled by the generator from the generated JSON Schemas): what
// a caller's arguments must look like, and that every message names the argument and the problem.
import { validateConfig } from '../../../src/generated/config-validator';
import { interfaces } from '../../../src/generated/schemas';
import { interfaceValidators } from '../../../src/generated/validators';
import { InterfaceValidator, check, compileInterface, createAjv } from '../../../src/schema/validate';

const validator = new InterfaceValidator(interfaceValidators.reservation);
const statusValidator = new InterfaceValidator(interfaceValidators.reservation_status);
const reservation = (overrides: Record<string, unknown> = {}) => ({ reservation_id: 1, id_token: 'TOKEN', expiry_time: '2026-06-01T12:00:00Z', ...overrides });
const reserveNow = (args: Record<string, unknown>) => validator.checkArguments('reserve_now', { connector_id: 1, reservation: reservation(), ...args });
/** Arguments as they arrive: JSON text, parsed. */
const fromJson = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('reserve_now arguments', () => {
  it('accepts a complete reservation, with or without a parent token', () => {
    expect(reserveNow({})).toBeUndefined();
    expect(reserveNow({ connector_id: 0, reservation: reservation({ parent_id_token: 'FLEET' }) })).toBeUndefined();
  });

  describe('expiry_time must be an RFC 3339 date-time', () => {
    it.each(['2026-06-01T12:00:00Z', '2026-06-01T12:00:00.123+02:00', '2026-06-01t12:00:00z', '2026-06-01 12:00:00Z', '2016-12-31T23:59:60Z'])(
      'accepts %j',
      (expiry_time) => {
        expect(reserveNow({ reservation: reservation({ expiry_time }) })).toBeUndefined();
      },
    );

    it.each([
      ['no offset', '2026-06-01T12:00:00'],
      ['a date only', '2026-06-01'],
      ['February 30', '2026-02-30T12:00:00Z'],
      ['hour 24', '2026-06-01T24:00:00Z'],
      ['a leap second not at the end of a UTC day', '2026-06-01T12:30:60Z'],
      ['words', 'tomorrow'],
      ['epoch milliseconds as text', '1780315200000'],
    ])('refuses %s, naming the argument and the field', (_what, expiry_time) => {
      expect(reserveNow({ reservation: reservation({ expiry_time }) })).toBe(`argument 'reservation': /expiry_time must match format "date-time"`);
    });

    it('refuses a number', () => {
      expect(reserveNow({ reservation: reservation({ expiry_time: 1780315200000 }) })).toMatch(/^argument 'reservation': \/expiry_time must be string/);
    });
  });

  it('refuses a property the Reservation type does not have, naming it', () => {
    expect(reserveNow({ reservation: reservation({ evse_id: 2 }) })).toBe(`argument 'reservation': has unknown property "evse_id"`);
  });

  it.each(['reservation_id', 'id_token', 'expiry_time'])('refuses a reservation without %s', (field) => {
    const incomplete: Record<string, unknown> = reservation();
    delete incomplete[field];
    expect(reserveNow({ reservation: incomplete })).toBe(`argument 'reservation': must have required property '${field}'`);
  });

  it.each(['id_token', 'parent_id_token'])('takes a %s of 255 characters and refuses 256', (field) => {
    expect(reserveNow({ reservation: reservation({ [field]: 'x'.repeat(255) }) })).toBeUndefined();
    expect(reserveNow({ reservation: reservation({ [field]: 'x'.repeat(256) }) })).toBe(`argument 'reservation': /${field} must NOT have more than 255 characters`);
  });

  it.each([
    ['a fraction', '1.5'],
    ['a string', '"1"'],
    ['null', 'null'],
    ['a number too large for a double', '1e400'],
    ['a boolean', 'true'],
  ])('refuses a connector_id that is %s', (_what, json) => {
    expect(validator.checkArguments('reserve_now', fromJson(`{"connector_id": ${json}, "reservation": ${JSON.stringify(reservation())}}`))).toBe(
      `argument 'connector_id': must be integer`,
    );
  });

  it('refuses a reservation_id too large for a double', () => {
    expect(reserveNow(fromJson(`{"reservation": {"reservation_id": 1e400, "id_token": "T", "expiry_time": "2026-06-01T12:00:00Z"}}`))).toBe(
      `argument 'reservation': /reservation_id must be integer`,
    );
  });

  it('names a missing argument and an unknown one', () => {
    expect(validator.checkArguments('reserve_now', { connector_id: 1 })).toBe(`missing argument 'reservation'`);
    expect(reserveNow({ evse: 1 })).toBe(`unknown argument 'evse'`);
  });
});

describe('the other commands and the var', () => {
  it('checks cancel_reservation, exists_reservation and list_reservations arguments', () => {
    expect(validator.checkArguments('cancel_reservation', { reservation_id: 3 })).toBeUndefined();
    expect(validator.checkArguments('cancel_reservation', { reservation_id: '3' })).toBe(`argument 'reservation_id': must be integer`);
    expect(statusValidator.checkArguments('exists_reservation', { request: { connector_id: 1, id_token: 'T' } })).toBeUndefined();
    expect(statusValidator.checkArguments('exists_reservation', { request: { connector_id: 1 } })).toBe(`argument 'request': must have required property 'id_token'`);
    expect(statusValidator.checkArguments('list_reservations', {})).toBeUndefined();
    expect(statusValidator.checkArguments('list_reservations', { all: true })).toBe(`unknown argument 'all'`);
  });

  it('checks results: only the ReservationResult values, and listed connectors from 0', () => {
    expect(validator.checkResult('reserve_now', 'Accepted')).toBeUndefined();
    expect(validator.checkResult('reserve_now', 'Maybe')).toBe('result of reserve_now: must be one of "Accepted", "Faulted", "Occupied", "Rejected", "Unavailable"');
    const listed = { reservation_id: 1, connector_id: 0, id_token: 'a', expiry_time: '2026-06-01T12:00:00Z' };
    expect(statusValidator.checkResult('list_reservations', [listed])).toBeUndefined();
    expect(statusValidator.checkResult('list_reservations', [{ ...listed, connector_id: -1 }])).toBe('result of list_reservations: /0/connector_id must be >= 0');
  });

  it('checks reservation_end against the ReservationEndReason values', () => {
    expect(statusValidator.checkVar('reservation_end', { reservation_id: 1, reason: 'Expired' })).toBeUndefined();
    expect(statusValidator.checkVar('reservation_end', { reservation_id: 1, reason: 'Gone' })).toBe(
      'var reservation_end: /reason must be one of "Expired", "Cancelled", "UsedToStartCharging"',
    );
  });

  it('knows exactly the commands of each interface: EVerest\'s two in reservation, the additions in reservation_status', () => {
    expect(validator.cmdNames.sort()).toEqual(['cancel_reservation', 'reserve_now']);
    expect(statusValidator.cmdNames.sort()).toEqual(['check_start', 'exists_reservation', 'list_reservations']);
  });
});

describe('the config schema from manifest.yaml', () => {
  const validate = validateConfig;

  it('holds connectors between 1 and 1000000', () => {
    expect(check(validate, { connectors: 1 })).toBeUndefined();
    expect(check(validate, { connectors: 1000000 })).toBeUndefined();
    expect(check(validate, { connectors: 0 })).toBe('/connectors must be >= 1');
    expect(check(validate, { connectors: 1000001 })).toBe('/connectors must be <= 1000000');
    expect(check(validate, { connectors: 1e20 })).toBe('/connectors must be <= 1000000');
  });

  it('reports every problem at once when asked to', () => {
    expect(check(validate, { connectors: 'two', reservations_enabled: 1, colour: 'red' })?.split('; ').sort()).toEqual([
      '/connectors must be integer',
      '/reservations_enabled must be boolean',
      'has unknown property "colour"',
    ]);
  });
});

describe('compiling', () => {
  it('compiles each schema once, when the validator is made, not on each check', () => {
    const ajv = createAjv();
    const compile = jest.spyOn(ajv, 'compile');
    const compiled = new InterfaceValidator(compileInterface(interfaces.reservation, ajv));
    const schemaCount = Object.values(interfaces.reservation.cmds).reduce((n, c) => n + Object.keys(c.arguments).length + 1, 0) + Object.keys(interfaces.reservation.vars).length;
    expect(compile).toHaveBeenCalledTimes(schemaCount);
    for (let i = 0; i < 100; i++) {
      compiled.checkArguments('reserve_now', { connector_id: i, reservation: reservation() });
      compiled.checkResult('reserve_now', 'Accepted');
      compiled.checkArguments('cancel_reservation', { reservation_id: i });
    }
    expect(compile).toHaveBeenCalledTimes(schemaCount);
  });

  it('gives the same answers at run time as the generated standalone validators the module uses', () => {
    const runtime = new InterfaceValidator(compileInterface(interfaces.reservation));
    const samples: Array<Record<string, unknown>> = [
      { connector_id: 1, reservation: reservation() },
      { connector_id: -1, reservation: reservation() },
      { connector_id: 1.5, reservation: reservation({ expiry_time: 'tomorrow' }) },
      { connector_id: 1, reservation: reservation({ id_token: 7, extra: true }) },
      { connector_id: 1 },
      { connector_id: 1, reservation: reservation(), colour: 'red' },
    ];
    for (const args of samples) expect(validator.checkArguments('reserve_now', args)).toBe(runtime.checkArguments('reserve_now', args));
  });
});
