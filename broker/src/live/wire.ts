// The SSE and long-polling fallbacks carry the contract's Wire* shapes.
import type { PublishedMessage } from '../broker/types.ts';
import type { WireMessage } from '../contract/index.ts';

export type { WireMessage, WirePollResponse, WireSubscribed } from '../contract/index.ts';

export function toWire(message: PublishedMessage): WireMessage {
  return { topic: message.topic, payload: message.payload.toString('base64'), retain: message.retain };
}
