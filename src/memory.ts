// Imported first by the entry point: V8 flags must be set before the heap grows.
import { setFlagsFromString } from 'node:v8';
import { optimizesForSize } from './config/optimize-for';

// A charger controller is short of memory rather than CPU. Measured (npm run bench): 100,000 held
// reservations take ~140 MB resident with size, ~180-240 MB with speed; speed costs ~25% less CPU per call.
if (optimizesForSize(process.env)) setFlagsFromString('--optimize-for-size');
