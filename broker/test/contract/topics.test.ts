// The topic grammar, case by case from the examples in MQTT 3.1.1 section 4.7.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterCovers, isReservedTopic, topicFilterProblem, topicMatches, topicNameProblem, type TopicProblem } from '../../src/contract/index.ts';

test('topic filters [MQTT-4.7.1]', () => {
  const cases: Array<[string, TopicProblem | null]> = [
    // 4.7.1.2 multi-level wildcard
    ['sport/tennis/player1/#', null],
    ['sport/#', null],
    ['#', null],
    ['sport/tennis#', 'misplaced_hash'],
    ['sport/tennis/#/ranking', 'misplaced_hash'],
    ['#/', 'misplaced_hash'],
    ['##', 'misplaced_hash'],
    // 4.7.1.3 single-level wildcard
    ['+', null],
    ['+/tennis/#', null],
    ['sport+', 'misplaced_plus'],
    ['+sport', 'misplaced_plus'],
    ['sport/+/player1', null],
    ['/+', null],
    ['+/+', null],
    ['a+/b', 'misplaced_plus'],
    // 4.7.2 and 4.7.3
    ['$SYS/#', null],
    ['$SYS/monitor/+', null],
    ['/', null],
    ['Accounts payable', null],
    ['', 'empty'],
    ['a\u0000b', 'nul'],
    ['a/\ud800', 'malformed_utf8'],
    ['\udc00', 'malformed_utf8'],
    ['é/中/😀', null],
    ['a'.repeat(65_535), null],
    ['a'.repeat(65_536), 'too_long'],
    ['中'.repeat(21_846), 'too_long'], // 65,538 bytes in 21,846 characters
  ];
  for (const [filter, problem] of cases) assert.equal(topicFilterProblem(filter), problem, JSON.stringify(filter.slice(0, 40)));
});

test('topic names [MQTT-4.7.3, MQTT-3.3.2-2]', () => {
  const cases: Array<[string, TopicProblem | null]> = [
    ['sport/tennis/player1', null],
    ['/finance', null],
    ['/', null],
    ['ACCOUNTS', null],
    ['Accounts payable', null],
    ['$SYS/broker/uptime', null],
    ['sport/', null],
    ['sport/#', 'wildcard_in_name'],
    ['sport/+/player1', 'wildcard_in_name'],
    ['', 'empty'],
    ['a\u0000', 'nul'],
    ['\ud83d', 'malformed_utf8'],
    ['😀', null],
  ];
  for (const [topic, problem] of cases) assert.equal(topicNameProblem(topic), problem, JSON.stringify(topic));
});

test('matching and the $ rule [MQTT-4.7.1, MQTT-4.7.2-1]', () => {
  const cases: Array<[string, string, boolean]> = [
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+', '/finance', false],
    ['#', '$SYS/broker/uptime', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['ACCOUNTS', 'Accounts', false],
  ];
  for (const [filter, topic, matches] of cases) assert.equal(topicMatches(filter, topic), matches, `${filter} ~ ${topic}`);
  assert.equal(isReservedTopic('$SYS/x'), true);
  assert.equal(isReservedTopic('devices/$x'), false);
});

test('a filter lies inside a pattern when everything it matches, the pattern matches', () => {
  const split = (s: string) => s.split('/');
  const cases: Array<[string, string, boolean]> = [
    ['devices/+/telemetry', 'devices/d1/telemetry', true],
    ['devices/+/telemetry', 'devices/+/telemetry', true],
    ['devices/d1/#', 'devices/d1/commands/+', true],
    ['devices/d1/#', 'devices/d1', true],
    ['devices/d1/commands/#', '#', false],
    ['devices/+/telemetry', 'devices/#', false],
    ['devices/d1/telemetry', 'devices/+/telemetry', false],
    ['#', '$SYS/#', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/broker/uptime', true],
  ];
  for (const [pattern, filter, covered] of cases) assert.equal(filterCovers(split(pattern), split(filter)), covered, `${pattern} ⊇ ${filter}`);
});
