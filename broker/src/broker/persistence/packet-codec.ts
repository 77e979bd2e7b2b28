// A packet as two columns: its fields as JSON, its payload as a BLOB. aedes keeps payloads as
// Buffers and, for packets published by the broker itself, sometimes as strings; the type is kept
// so a packet read back is the packet that was stored.

/** A packet as aedes hands it to the persistence (publish, or pubrel in an outgoing queue). */
export interface StoredPacket {
  cmd: string;
  topic?: string;
  payload?: Buffer | string;
  qos?: number;
  retain?: boolean;
  messageId?: number | undefined;
  brokerId?: string | undefined;
  brokerCounter?: number | undefined;
  clientId?: string | undefined;
  [field: string]: unknown;
}

const stringPayload = '$payloadIsString';

export function encodePacket(packet: StoredPacket): [meta: string, payload: Buffer | null] {
  const { payload, ...fields } = packet;
  if (typeof payload === 'string') return [JSON.stringify({ ...fields, [stringPayload]: true }), Buffer.from(payload)];
  return [JSON.stringify(fields), payload ?? null];
}

export function decodePacket(meta: string, payload: Buffer | null): StoredPacket {
  const fields = JSON.parse(meta) as StoredPacket & { [stringPayload]?: boolean };
  const isString = fields[stringPayload] === true;
  delete fields[stringPayload];
  if (payload !== null) fields.payload = isString ? payload.toString() : payload;
  return fields;
}

/** Bytes a queued packet holds: what the offline-queue byte bound counts. */
export function packetBytes(packet: StoredPacket): number {
  const payload = packet.payload;
  const payloadBytes = payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  return payloadBytes + (packet.topic?.length ?? 0);
}
