// npm run bench: the module against two anchors on the same private mosquitto (a bare echo, and
// an echo that also publishes reservation_end for each cancel, as the module does), then its
// cost as the number of held reservations grows, its start-up, its footprint at idle, a
// 128-EVSE hub in the evse interface (with a card through the token path), and the station-wide
// guarantee's engine alone.
// Prints tables and each target with PASS or MISS, and writes JSON. Each row family has its file
// (comparison, idle, scale, hub, guarantee); this one runs them in turn and prints them in order.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker } from '../test/support/broker';
import { cleanup } from '../test/support/teardown';
import { comparisonErrors, comparisonSection, comparisonTargets, measureComparison } from './comparison';
import { fmt, type Target } from './format';
import { engineTarget, guaranteeSection, measureGuarantee } from './guarantee';
import { hubSection, measureHubModule } from './hub';
import { tokenPathSection, tokenPathTargets } from './token-path';
import { IDLE_WINDOW_MS, idleSection, measureIdle, moduleEntries, STARTS, startUpTargets, wakeUpTargets } from './idle';
import { moduleConfig, ROOT, startModule, stopProcess } from './module';
import { CONNECTORS, heldMemoryTarget, measureDomainScale, measureScale, scaleSection } from './scale';
import type { DomainScaleRow } from './scale-domain';

async function main(): Promise<void> {
  const began = Date.now();
  const broker = await startBroker();
  const prefix = `bench-${process.pid}/`;
  // The comparison and scale runs need a connector per reservation held at once.
  const config = moduleConfig({ config_module: { connectors: CONNECTORS } });
  // Start-up and idle as on a charger: two connectors.
  const chargerConfig = moduleConfig({ config_module: { connectors: 2 } });
  // Other users' runs share this machine: each section's figures go with the load it ran under.
  const load: Record<string, number[]> = { start: os.loadavg() };
  const entries = moduleEntries();

  process.stderr.write(`start-up (${STARTS} each), then ${IDLE_WINDOW_MS / 1000} s idle; the pure domain is measured meanwhile...\n`);
  let domain: DomainScaleRow[] = [];
  const idle = await measureIdle(broker, prefix, chargerConfig, entries, () => {
    domain = measureDomainScale();
  });

  load.comparison = os.loadavg();
  const comparison = await measureComparison(broker, prefix, config);

  load.scale = os.loadavg();
  process.stderr.write('measuring the module at 1, 1,000 and 100,000 held...\n');
  const scale = await measureScale(broker, `${prefix}scale/`, config);

  load.hub = os.loadavg();
  process.stderr.write('a hub: 128 EVSE managers, station-wide reservations held, commands and EVSE events...\n');
  // dist/main.js, as the comparison and scale rows.
  const hub = await measureHubModule({
    broker,
    prefix: `${prefix}hub/`,
    startModule: async (hubPrefix, entry) => {
      const { proc } = await startModule(broker, hubPrefix, moduleConfig(entry));
      return { pid: proc.pid, stop: () => stopProcess(proc) };
    },
  });

  load.guarantee = os.loadavg();
  process.stderr.write("the station-wide guarantee: the engine alone on the hub, EVerest's search on growing stations...\n");
  const guarantee = measureGuarantee();
  load.end = os.loadavg();

  const targets: Target[] = [...comparisonTargets(comparison), ...startUpTargets(idle), heldMemoryTarget(scale), ...wakeUpTargets(idle), engineTarget(guarantee), ...tokenPathTargets(hub.tokenPath)];
  const errors = comparisonErrors(comparison) + scale.rows.reduce((n, r) => n + r.errors, 0) + hub.errors;

  const out = [
    ...comparisonSection(comparison),
    ...idleSection(idle),
    ...scaleSection(domain, scale),
    ...hubSection(hub),
    ...tokenPathSection(hub.tokenPath),
    ...guaranteeSection(guarantee),
    `Load average (1, 5, 15 min) when each part began: ${Object.entries(load).map(([part, l]) => `${part} ${l.map((v) => v.toFixed(2)).join(' ')}`).join('; ')}.`,
    '',
    '## Targets',
    '',
    ...targets.map((t) => `- ${t.met ? 'PASS' : 'MISS'}: ${t.name}: ${t.measured}`),
    '',
    errors === 0 ? 'Every answer was the expected one.' : `WRONG ANSWERS: ${errors}`,
    `Bench took ${fmt((Date.now() - began) / 1000)} s.`,
  ];
  process.stdout.write(`${out.join('\n')}\n`);

  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const results = {
    date: new Date().toISOString(),
    cpus: os.cpus().length,
    node: process.version,
    load,
    idle,
    comparison: comparison.rows,
    domain,
    moduleScale: scale.rows,
    heldSettledRssMb: scale.settledRssMb,
    bytesPerHeld: scale.bytesPerHeld,
    modulePeakMb: comparison.modulePeakMb,
    echoPeakMb: comparison.echoPeakMb,
    hub,
    guarantee,
    targets,
    errors,
  };
  writeFileSync(path.join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`results: bench/results/latest.json\n`);
  if (errors > 0) process.exitCode = 1;
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  })
  .finally(() => cleanup('file'));
