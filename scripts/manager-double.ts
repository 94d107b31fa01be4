// `npm run manager-double -- <everest config.yaml> [--mqtt-url <url>] [--prefix <prefix>]`: a stand-in
// for the EVerest manager, to try the module's --everest mode without an EVerest installation. It
// answers config requests from the file's active_modules and publishes GlobalReady once every
// standalone module said ModuleReady (the modules the real manager would spawn count as ready).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { ManagerDouble, modulesOfConfig } from '../test/support/manager-double';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'mqtt-url': { type: 'string', default: 'mqtt://127.0.0.1:1883' }, prefix: { type: 'string', default: 'everest/' } },
  });
  const [file] = positionals;
  if (file === undefined) {
    console.error('usage: npm run manager-double -- <everest config.yaml> [--mqtt-url <url>] [--prefix <prefix>]');
    process.exit(2);
  }
  const modules = modulesOfConfig(parse(readFileSync(file, 'utf8')));
  for (const module of Object.values(modules)) if (!module.standalone) module.alreadyReady = true;
  const manager = await ManagerDouble.start(values['mqtt-url'] as string, { prefix: values.prefix as string, modules }, (line) => console.log(`manager-double: ${line}`));
  process.on('SIGINT', () => void manager.close().then(() => process.exit(0)));
  process.on('SIGTERM', () => void manager.close().then(() => process.exit(0)));
}

void main().catch((err: unknown) => {
  console.error(`manager-double: ${(err as Error).message}`);
  process.exit(1);
});
