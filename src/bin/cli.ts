#!/usr/bin/env node
// reservation-cli: process concerns only (argv, stdout, signals, exit code).
import { runCli } from './commands';

const interrupted = new Promise<void>((resolve) => {
  process.once('SIGINT', () => resolve());
  process.once('SIGTERM', () => resolve());
});

runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
  now: () => Date.now(),
  interrupted,
  stderrIsTty: process.stderr.isTTY,
}).then(
  (code) => {
    process.exitCode = code;
    // MQTT.js may keep a socket half-closed a little longer; nothing is left to do.
    setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    process.stderr.write(`reservation-cli: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
