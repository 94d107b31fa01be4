// The Dockerfile and docker-compose.yml cannot be built here (no Docker engine); these checks
// catch what breaks them without one. .ci/run also runs `docker-compose config`.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.join(__dirname, '..', '..', '..');
const read = (file: string): string => readFileSync(path.join(root, file), 'utf8');

interface Service {
  build?: string;
  image?: string;
  init?: boolean;
  volumes?: string[];
  environment?: Record<string, string>;
  command?: string[];
  healthcheck?: { test: string[] };
}

const compose = parse(read('docker-compose.yml')) as { services: Record<string, Service> };

describe('docker-compose.yml', () => {
  it('mounts only files that exist in the repository', () => {
    const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? []);
    const files = mounts.map((mount) => mount.split(':')[0] as string).filter((source) => source.startsWith('./'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(existsSync(path.join(root, file))).toBe(true);
  });

  it('runs the module with init, its config, persistence on a volume and a health check', () => {
    const module = compose.services.reservation as Service;
    expect(module.init).toBe(true);
    expect(module.command).toEqual(['--config', '/config/config.yaml']);
    const config = parse(read('docker/config.yaml')) as { active_modules: { reservation: { config_module: { persistence_file: string } } } };
    const persistenceDir = path.dirname(config.active_modules.reservation.config_module.persistence_file);
    expect(module.volumes).toContainEqual(expect.stringMatching(new RegExp(`^[a-z-]+:${persistenceDir}$`)));
    expect(module.healthcheck?.test.join(' ')).toContain('dist/bin/cli.js list');
  });

  it('gives the module a broker user that the password file and the ACL know', () => {
    const module = compose.services.reservation as Service;
    const user = module.environment?.MQTT_USERNAME as string;
    expect(read('docker/mosquitto/passwd')).toMatch(new RegExp(`^${user}:\\$7\\$`, 'm'));
    expect(read('docker/mosquitto/acl')).toMatch(new RegExp(`^user ${user}$`, 'm'));
    const broker = read('docker/mosquitto/mosquitto.conf');
    expect(broker).toMatch(/^allow_anonymous false$/m);
    expect(broker).toMatch(/^set_tcp_nodelay true$/m);
    expect(broker).toMatch(/^max_inflight_messages 0$/m);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');

  it('builds in one stage and runs the compiled module in another, as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER (?!root)\S+$/m);
    expect(runtime).toMatch(/npm (ci|prune)|--from=build/);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist/main.js"]');
  });

  it('copies only paths that exist', () => {
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((match) => (match[1] as string).split(/\s+/));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(existsSync(path.join(root, source))).toBe(true);
  });
});
