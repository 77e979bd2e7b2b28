// Inside the worker: opens the database and answers each request in the order received. A request
// that throws is answered with its error; only a failure outside a request (e.g. the file cannot be
// opened at start) ends the thread, which the store sees as the worker dying.
import { openTelemetryDb, type TelemetryDb } from './sqlite-db.ts';
import type { Request, Response, Results, WorkerStartData } from './protocol.ts';

/** The worker's side of the channel (parentPort, or a wrapper around it). */
export interface ServicePort {
  on(event: 'message', listener: (request: Request) => void): unknown;
  postMessage(response: Response): void;
  close(): void;
}

export function serveTelemetryDb(port: ServicePort, data: WorkerStartData): void {
  const db = openTelemetryDb(data.file, data.schema);
  port.on('message', (request) => {
    let response: Response;
    try {
      response = { id: request.id, ok: true, value: run(db, request) };
    } catch (err) {
      response = { id: request.id, ok: false, error: (err as Error).message };
    }
    port.postMessage(response);
    if (request.op === 'close') port.close();
  });
}

function run(db: TelemetryDb, request: Request): Results[Request['op']] {
  switch (request.op) {
    case 'write':
      return db.write(request.batch);
    case 'history':
      return db.history(request.request);
    case 'devices':
      return db.devices();
    case 'fieldKinds':
      return db.fieldKinds();
    case 'retain':
      return db.retain(request.cutoffMs);
    case 'ping':
      return true;
    case 'close':
      db.close();
      return true;
  }
}
