/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstBeatDelayMs, heartbeatIntervalMs } from './use-heartbeat.ts';

test('a fresh claim waits the usual interval; one about to lapse is renewed at once', () => {
  const now = Date.parse('2024-07-01T10:00:00.000Z');
  const inSeconds = (s: number) => new Date(now + s * 1000).toISOString();
  assert.equal(firstBeatDelayMs(inSeconds(120), now), heartbeatIntervalMs);
  assert.equal(firstBeatDelayMs(inSeconds(75), now), 15_000);
  assert.equal(firstBeatDelayMs(inSeconds(30), now), 0);
  assert.equal(firstBeatDelayMs(inSeconds(-5), now), 0);
  assert.equal(firstBeatDelayMs(null, now), 0);
});
