// The JSON shapes of the SSE and long-polling fallbacks (mirrors broker/src/live/wire.ts).

export interface WireMessage {
  topic: string;
  /** base64 */
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
  /** messages dropped for this session because the queue was full */
  dropped: number;
}

export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
