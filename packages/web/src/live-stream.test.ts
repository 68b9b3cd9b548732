/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type EventSourceLike, LiveStatus, openLiveStream, reconnectDelayMs } from './live-stream.ts';

class FakeSource implements EventSourceLike {
  readyState = 0;
  closed = false;
  readonly listeners = new Map<string, ((event: MessageEvent) => void)[]>();
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  emit(type: string, data?: string) {
    for (const l of this.listeners.get(type) ?? []) l({ data } as MessageEvent);
  }
}

function harness() {
  const sources: FakeSource[] = [];
  const statuses: string[] = [];
  const events: [string, unknown][] = [];
  const timers: { run: () => void; ms: number }[] = [];
  let ready = 0;
  const failures: number[] = [];
  const close = openLiveStream({
    url: '/api/worklist/stream',
    createSource: () => {
      const s = new FakeSource();
      sources.push(s);
      return s;
    },
    events: ['case', 'removed'],
    onStatus: (s) => statuses.push(s),
    onEvent: (type, data) => events.push([type, data]),
    onReady: () => ready++,
    onFailure: (n) => failures.push(n),
    setTimer: (run, ms) => {
      timers.push({ run, ms });
      return timers.length;
    },
    clearTimer: () => {},
  });
  return { sources, statuses, events, timers, failures, close, ready: () => ready };
}

test('the stream is live after ready and passes named events on', () => {
  const h = harness();
  assert.deepEqual(h.statuses, [LiveStatus.Connecting]);
  h.sources[0]!.emit('ready', '{}');
  assert.equal(h.statuses.at(-1), LiveStatus.Live);
  assert.equal(h.ready(), 1);
  h.sources[0]!.emit('case', '{"id":"C-1"}');
  h.sources[0]!.emit('removed', 'not json');
  assert.deepEqual(h.events, [['case', { id: 'C-1' }]]);
});

test('a dropped connection the browser retries shows reconnecting, then live again', () => {
  const h = harness();
  h.sources[0]!.emit('ready', '{}');
  h.sources[0]!.emit('error');
  assert.equal(h.statuses.at(-1), LiveStatus.Reconnecting);
  assert.equal(h.timers.length, 0, 'EventSource retries by itself while CONNECTING');
  h.sources[0]!.emit('ready', '{}');
  assert.equal(h.statuses.at(-1), LiveStatus.Live);
  assert.equal(h.ready(), 2, 'each reconnection reloads the rows');
});

test('a refused connection is reopened with a growing delay', () => {
  const h = harness();
  const first = h.sources[0]!;
  first.readyState = 2;
  first.emit('error');
  assert.equal(first.closed, true);
  assert.deepEqual(h.failures, [1]);
  assert.equal(h.timers[0]?.ms, 1000);
  h.timers[0]!.run();
  assert.equal(h.sources.length, 2);
  assert.equal(h.statuses.at(-1), LiveStatus.Reconnecting);
  h.sources[1]!.readyState = 2;
  h.sources[1]!.emit('error');
  assert.equal(h.timers[1]?.ms, 2000);
  // Events from a replaced source are ignored.
  first.emit('case', '{"id":"old"}');
  assert.deepEqual(h.events, []);
});

test('closing stops everything', () => {
  const h = harness();
  h.close();
  assert.equal(h.sources[0]?.closed, true);
  h.sources[0]!.emit('ready', '{}');
  assert.equal(h.ready(), 0);
});

test('reconnectDelayMs is capped', () => {
  assert.deepEqual([1, 2, 3, 10].map(reconnectDelayMs), [1000, 2000, 4000, 30_000]);
});
