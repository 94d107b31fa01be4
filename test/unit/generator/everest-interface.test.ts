// Issue 14: installing this module into an EVerest tree must not change EVerest's own
// `reservation` interface, which every provider and caller of the tree is built against.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.join(__dirname, '..', '..', '..');
const read = (file: string): Record<string, unknown> => parse(readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

/** The declaration without its prose: what generated code and schema checks depend on. */
function declaration(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(declaration);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'description').map(([key, sub]) => [key, declaration(sub)]));
}

describe('interfaces/reservation.yaml', () => {
  it("declares exactly EVerest's reservation interface of the seed's era", () => {
    expect(declaration(read('interfaces/reservation.yaml'))).toEqual({
      cmds: {
        reserve_now: {
          arguments: {
            connector_id: { type: 'integer' },
            reservation: { type: 'object', $ref: '/reservation#/Reservation' },
          },
          result: { type: 'string', $ref: '/reservation#/ReservationResult' },
        },
        cancel_reservation: {
          arguments: { reservation_id: { type: 'integer' } },
          result: { type: 'boolean' },
        },
      },
      vars: {},
    });
  });

  it('leaves the additions to reservation_status, provided as a second implementation', () => {
    const status = read('interfaces/reservation_status.yaml') as { cmds: Record<string, unknown>; vars: Record<string, unknown> };
    expect(Object.keys(status.cmds).sort()).toEqual(['exists_reservation', 'list_reservations']);
    expect(Object.keys(status.vars)).toEqual(['reservation_end']);
    const manifest = read('manifest.yaml') as { provides: Record<string, { interface: string }> };
    expect(Object.fromEntries(Object.entries(manifest.provides).map(([id, impl]) => [id, impl.interface]))).toEqual({
      main: 'reservation',
      status: 'reservation_status',
    });
  });

  it("keeps this module's own types out of types/reservation.yaml, which EVerest ships too", () => {
    const types = Object.keys((read('types/reservation.yaml') as { types: Record<string, unknown> }).types).sort();
    expect(types).toEqual(['Reservation', 'ReservationEnd', 'ReservationEndReason', 'ReservationResult']);
  });
});
