// Imported first by the entry point: V8 flags must be set before the heap grows.
import { optimizesForSize } from './config/optimize-for';

// V8's defaults unless asked: idle memory is the same either way, and a charger holds a handful of
// reservations. Measured (npm run bench, docs/performance.md): size holds 100,000 reservations in
// ~90-105 MB where the defaults keep ~160-180 MB after filling.
// node:v8 only then: loading it costs an idle module memory (npm run bench).
if (optimizesForSize(process.env)) (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--optimize-for-size');
