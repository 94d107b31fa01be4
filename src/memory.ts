// Imported first by the entry point: V8 flags must be set before the heap grows.
import { setFlagsFromString } from 'node:v8';
import { optimizesForSize } from './config/optimize-for';

// V8's defaults unless asked: idle memory is the same either way, and a charger holds a handful of
// reservations. Measured (npm run bench, README Performance): size holds 100,000 reservations in
// ~130 MB instead of ~170-210 MB, at ~25% more CPU per call.
if (optimizesForSize(process.env)) setFlagsFromString('--optimize-for-size');
