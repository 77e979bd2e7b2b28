import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSessionRegistry, type EndReason, type LiveSession, type SessionRegistry } from '../../src/live/sessions.ts';

function session(registry: () => SessionRegistry, subject: string, ended: Array<[string, EndReason]>, name: string): LiveSession {
  const s: LiveSession = {
    subject,
    transport: 'poll',
    end(reason) {
      ended.push([name, reason]);
      registry().leave(s);
    },
  };
  return s;
}

test("a user past their cap loses their own oldest session, never another user's", () => {
  const ended: Array<[string, EndReason]> = [];
  const registry: SessionRegistry = createSessionRegistry({ maxSessions: 100, maxSessionsPerUser: 2, abandoned: () => undefined });
  const make = (subject: string, name: string) => session(() => registry, subject, ended, name);
  assert.ok(registry.admit(make('bob', 'bob-1')));
  for (const name of ['eve-1', 'eve-2', 'eve-3', 'eve-4']) assert.ok(registry.admit(make('eve', name)));
  assert.deepEqual(ended, [['eve-1', 'user-cap'], ['eve-2', 'user-cap']]);
  assert.equal(registry.size(), 3);
});

test('with every slot taken only an abandoned session makes room; otherwise the newcomer is refused', () => {
  const ended: Array<[string, EndReason]> = [];
  const stopped: { session?: LiveSession } = {};
  const registry: SessionRegistry = createSessionRegistry({ maxSessions: 2, maxSessionsPerUser: 10, abandoned: () => stopped.session });
  const make = (subject: string, name: string) => session(() => registry, subject, ended, name);
  const a = make('a', 'a-1');
  assert.ok(registry.admit(a));
  assert.ok(registry.admit(make('b', 'b-1')));
  assert.equal(registry.admit(make('c', 'c-1')), false);
  stopped.session = a;
  assert.ok(registry.admit(make('c', 'c-2')));
  assert.deepEqual(ended, [['a-1', 'evicted']]);
  assert.deepEqual(registry.all().map((s) => s.subject).sort(), ['b', 'c']);
});

test('a user at their cap gets in even when every slot is taken, by ending their own oldest', () => {
  const ended: Array<[string, EndReason]> = [];
  const registry: SessionRegistry = createSessionRegistry({ maxSessions: 2, maxSessionsPerUser: 1, abandoned: () => undefined });
  const make = (subject: string, name: string) => session(() => registry, subject, ended, name);
  assert.ok(registry.admit(make('a', 'a-1')));
  assert.ok(registry.admit(make('b', 'b-1')));
  assert.ok(registry.admit(make('a', 'a-2')));
  assert.equal(registry.admit(make('c', 'c-1')), false);
  assert.deepEqual(ended, [['a-1', 'user-cap']]);
});
