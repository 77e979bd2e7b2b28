// The embedded store's worker thread entry: SQLite runs here, off the broker's event loop.
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerStartData } from './protocol.ts';
import { serveTelemetryDb } from './worker-service.ts';

if (!parentPort) throw new Error('sqlite-worker.ts runs only as a worker thread');
serveTelemetryDb(parentPort, workerData as WorkerStartData);
