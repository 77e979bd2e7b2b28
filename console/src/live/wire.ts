// The SSE and long-polling fallbacks carry the contract's Wire* shapes; payloads are base64.
export type { WireMessage, WirePollResponse, WireSubscribed } from '@telemq/broker/contract';

export function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
