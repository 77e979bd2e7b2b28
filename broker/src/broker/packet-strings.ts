// The strings of each inbound packet, checked as MQTT requires before aedes sees the packet: every
// UTF-8 string well-formed [MQTT-1.5.3-1] and without U+0000 [MQTT-1.5.3-2], topic names and
// filters by the grammar in contract/ [MQTT-4.7]. A packet that breaks one closes its connection.
//
// Malformed UTF-8 is seen inside mqtt-packet's parser (watchMalformedStrings in aedes/internals.ts),
// as it decodes strings into U+FFFD silently.
import type mqttPacket from 'mqtt-packet';
import { topicFilterProblem, topicNameProblem, type TopicProblem } from '../contract/index.ts';
import type { ProtocolViolation } from './types.ts';

const malformedUtf8: ProtocolViolation = { clause: 'MQTT-1.5.3-1', reason: 'malformed-utf8' };
const nul: ProtocolViolation = { clause: 'MQTT-1.5.3-2', reason: 'nul-character' };

function topicViolation(problem: TopicProblem | null, kind: 'invalid-topic' | 'invalid-filter'): ProtocolViolation | null {
  if (problem === null) return null;
  if (problem === 'nul') return nul;
  if (problem === 'malformed_utf8') return malformedUtf8;
  return { clause: kind === 'invalid-topic' ? 'MQTT-4.7.3' : 'MQTT-4.7.1', reason: kind };
}

function filtersViolation(filters: readonly string[]): ProtocolViolation | null {
  for (const filter of filters) {
    const violation = topicViolation(topicFilterProblem(filter), 'invalid-filter');
    if (violation) return violation;
  }
  return null;
}

/** What is wrong with the strings of a decoded packet (well-formedness aside); null when nothing is. */
export function packetViolation(packet: mqttPacket.Packet): ProtocolViolation | null {
  switch (packet.cmd) {
    case 'publish':
      return topicViolation(topicNameProblem(packet.topic), 'invalid-topic');
    case 'subscribe':
      return filtersViolation(packet.subscriptions.map((s) => s.topic));
    case 'unsubscribe':
      // [MQTT-3.10.3-2]: an UNSUBSCRIBE must contain at least one topic filter.
      if (packet.unsubscriptions.length === 0) return { clause: 'MQTT-3.10.3-2', reason: 'protocol-violation' };
      return filtersViolation(packet.unsubscriptions);
    case 'connect':
      if (packet.clientId.includes('\u0000') || packet.username?.includes('\u0000')) return nul;
      return packet.will ? topicViolation(topicNameProblem(packet.will.topic), 'invalid-topic') : null;
    default:
      return null;
  }
}

/** The check for one packet: a malformed string anywhere in it, else its strings' rules. */
export function inboundViolation(strings: { malformed(): boolean }, packet: mqttPacket.Packet): ProtocolViolation | null {
  return strings.malformed() ? malformedUtf8 : packetViolation(packet);
}
