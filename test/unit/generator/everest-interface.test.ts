// Issue 14: installing this module into an EVerest tree must not change EVerest's own
// `reservation` interface, which every provider and caller of the tree is built against.
import { execFileSync } from 'node:child_process';
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
    expect(Object.keys(status.cmds).sort()).toEqual(['check_start', 'exists_reservation', 'list_reservations']);
    expect(Object.keys(status.vars)).toEqual(['reservation_end']);
    const manifest = read('manifest.yaml') as { provides: Record<string, { interface: string }> };
    expect(Object.fromEntries(Object.entries(manifest.provides).map(([id, impl]) => [id, impl.interface]))).toEqual({
      main: 'reservation',
      status: 'reservation_status',
      token_provider: 'auth_token_provider',
      token_validator: 'auth_token_validator',
    });
  });

  it("keeps this module's own types out of types/reservation.yaml, which EVerest ships too", () => {
    const types = Object.keys((read('types/reservation.yaml') as { types: Record<string, unknown> }).types).sort();
    expect(types).toEqual(['Reservation', 'ReservationEnd', 'ReservationEndReason', 'ReservationResult']);
  });
});

// Issue 21: today's EVerest (2024.12 and later) reserves EVSEs; its interface and types are kept
// verbatim beside the seed's, as spec/everest-evse-dialect.md §1.1 and §1.2 give them.
describe('interfaces/evse/ and types/evse/', () => {
  const spec = readFileSync(path.join(ROOT, '..', 'shared', 'spec', 'everest-evse-dialect.md'), 'utf8');
  /** The YAML block that follows the heading `### <section>` in the spec. */
  const block = (section: string): string => {
    const heading = spec.indexOf(`### ${section}`);
    const start = spec.indexOf('```yaml\n', heading) + '```yaml\n'.length;
    return spec.slice(start, spec.indexOf('```', start));
  };

  it.each([
    ['interfaces/evse/reservation.yaml', '1.1'],
    ['types/evse/reservation.yaml', '1.2'],
  ])('%s is, byte for byte, the text of spec §%s', (file, section) => {
    expect(block(section).length).toBeGreaterThan(500);
    expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(block(section));
  });

  it('leaves impl main the same manifest entry in both eras: the tree it is installed into brings the interface file', () => {
    const manifest = read('manifest.yaml') as { provides: { main: { interface: string } }; config: { reservation_interface: { enum: string[]; default: string } } };
    expect(manifest.provides.main.interface).toBe('reservation');
    expect(manifest.config.reservation_interface).toMatchObject({ enum: ['connector', 'evse'], default: 'connector' });
  });
});

// Issue 27: the token path uses EVerest's own token interfaces and types, verbatim, as the tree ships
// them (spec/everest-token-path.md §1.1), so Auth and every real provider and validator fit.
describe('the token path: auth_token_provider, auth_token_validator and types/authorization.yaml', () => {
  const KIT = path.join(ROOT, '..', 'shared', 'everest-kit', 'everest-core-23c9dac16.tar.gz');
  const everest = (file: string): string => execFileSync('tar', ['-xzOf', KIT, `everest-core/${file}`], { encoding: 'utf8' });

  it.each(['interfaces/auth_token_provider.yaml', 'interfaces/auth_token_validator.yaml', 'types/authorization.yaml'])('keeps %s byte for byte as EVerest ships it', (file) => {
    expect(readFileSync(path.join(ROOT, file), 'utf8')).toBe(everest(file));
  });

  it.each([
    ['types/iso15118.yaml', ['EnergyTransferMode', 'CertificateHashDataInfo']],
    ['types/text_message.yaml', ['MessageContent', 'MessageFormat']],
  ])('keeps in %s only the types authorization.yaml refers to, each as EVerest declares it', (file, names) => {
    const ours = read(file) as { types: Record<string, unknown> };
    const theirs = parse(everest(file)) as { types: Record<string, unknown> };
    expect(Object.keys(ours.types)).toEqual(names);
    for (const name of names) expect(ours.types[name]).toEqual(theirs.types[name]);
  });

  it("declares evse_manager's authorize_response as EVerest does", () => {
    const ours = read('interfaces/evse_manager.yaml') as { cmds: Record<string, unknown> };
    const theirs = parse(everest('interfaces/evse_manager.yaml')) as { cmds: Record<string, unknown> };
    expect(ours.cmds.authorize_response).toEqual(theirs.cmds.authorize_response);
  });
});
