// Command-line options of the module process (spec: "Starting it").
import { parseArgs } from 'node:util';

export interface CliOptions {
  config?: string;
  module?: string;
  mqttUrl?: string;
  prefix?: string;
  connectTimeout?: string;
  mqttCa?: string;
  mqttCert?: string;
  mqttKey?: string;
  /** Ask the EVerest manager for the config and follow its readiness rules (a standalone module). */
  everest?: boolean;
  help: boolean;
}

export const USAGE = `usage: node dist/main.js [--config <file> | --everest] [--module <module id>] [--mqtt-url <url>] [--prefix <prefix>]
                        [--connect-timeout <seconds>] [--mqtt-ca <file>] [--mqtt-cert <file>] [--mqtt-key <file>]
  --config           EVerest config file (YAML, active_modules:); without it the manifest's defaults apply
  --everest          a standalone module of a running EVerest: ask the manager for the config over MQTT,
                     send ModuleReady once per run of the manager, publish nothing before GlobalReady
  --module           module id (default: reservation)
  --mqtt-url         broker URL (env MQTT_URL; default mqtt://127.0.0.1:1883); user and password in the URL
                     or in env MQTT_USERNAME / MQTT_PASSWORD
  --prefix           topic prefix (env EVEREST_PREFIX; default everest/)
  --connect-timeout  seconds to wait for the broker at start-up before giving up (default 30)
  --mqtt-ca, --mqtt-cert, --mqtt-key
                     PEM files for mqtts:// (env MQTT_CA_FILE, MQTT_CERT_FILE, MQTT_KEY_FILE)
env LOG_LEVEL: fatal, error, warn, info (default), debug, trace or silent
env LOG_FORMAT: json or pretty (default: pretty when stdout is a terminal, JSON lines otherwise)
Started by the EVerest manager (env EV_MODULE), the module id, prefix and broker come from EV_MODULE,
EV_MQTT_EVEREST_PREFIX and EV_MQTT_BROKER_HOST/PORT or EV_MQTT_BROKER_SOCKET_PATH (else MQTT_SERVER_ADDRESS/PORT),
and the config from EV_CONF_FILE (framework 0.18 and older) or from the manager over MQTT.`;

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      module: { type: 'string' },
      'mqtt-url': { type: 'string' },
      prefix: { type: 'string' },
      'connect-timeout': { type: 'string' },
      'mqtt-ca': { type: 'string' },
      'mqtt-cert': { type: 'string' },
      'mqtt-key': { type: 'string' },
      everest: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  return {
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values.module !== undefined ? { module: values.module } : {}),
    ...(values['mqtt-url'] !== undefined ? { mqttUrl: values['mqtt-url'] } : {}),
    ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
    ...(values['connect-timeout'] !== undefined ? { connectTimeout: values['connect-timeout'] } : {}),
    ...(values['mqtt-ca'] !== undefined ? { mqttCa: values['mqtt-ca'] } : {}),
    ...(values['mqtt-cert'] !== undefined ? { mqttCert: values['mqtt-cert'] } : {}),
    ...(values['mqtt-key'] !== undefined ? { mqttKey: values['mqtt-key'] } : {}),
    ...(values.everest === true ? { everest: true } : {}),
    help: values.help === true,
  };
}
