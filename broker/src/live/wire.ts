// JSON shapes of the SSE and long-polling fallbacks (the console reads them in console/src/live/wire.ts).
import type { PublishedMessage } from '../broker/types.ts';

export interface WireMessage {
  topic: string;
  /** base64: payloads are bytes */
  payload: string;
  retain: boolean;
}

export interface WireSubscribed {
  granted: string[];
  refused: string[];
}

export interface WirePollResponse extends WireSubscribed {
  session: string;
  messages: WireMessage[];
  dropped: number;
}

export function toWire(message: PublishedMessage): WireMessage {
  return { topic: message.topic, payload: message.payload.toString('base64'), retain: message.retain };
}
