import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@confer/core';
import type { StoreBatchResult } from '../dimse/store-scu.ts';
import { StoreScuError, StoreScuErrorCode } from '../dimse/store-scu.ts';
import { Rng } from '../synthetic/prng.ts';
import { DEFAULT_SITES, SiteRole } from '../synthetic/sites.ts';
import type { SyntheticStudy } from '../synthetic/study.ts';
import {
  DEFAULT_DEMO_MIX,
  DemoStreamer,
  type DemoStreamerOptions,
  type DemoStudySent,
  drawDemoArrival,
  type Scheduler,
} from './streamer.ts';

/** Timers that fire only when the test says, moving a ManualClock to their due time. */
class FakeScheduler implements Scheduler {
  private readonly clock: ManualClock;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  constructor(clock: ManualClock) {
    this.clock = clock;
  }
  setTimeout(fn: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.clock.now().getTime() + delayMs, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  /** Fires the earliest timer (the first set, on a tie); false when none is set. */
  fireNext(): boolean {
    let first: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of this.timers) if (!first || entry[1].at < first[1].at) first = entry;
    if (!first) return false;
    this.timers.delete(first[0]);
    this.clock.set(new Date(first[1].at));
    first[1].fn();
    return true;
  }
}

interface Deferred {
  promise: Promise<StoreBatchResult>;
  resolve(): void;
}

function harness(overrides: Partial<DemoStreamerOptions> = {}) {
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const scheduler = new FakeScheduler(clock);
  const sent: SyntheticStudy[] = [];
  const events: DemoStudySent[] = [];
  const logs: { level: string; obj: object; msg: string }[] = [];
  const streamer = new DemoStreamer({
    host: '127.0.0.1',
    port: 1,
    calledAe: 'CONFER',
    studiesPerHour: 60,
    seed: 'unit',
    clock,
    scheduler,
    size: 'tiny',
    send: async (study) => {
      sent.push(study);
      return { attempted: study.instanceCount, succeeded: study.instanceCount, warnings: 0, failed: [] };
    },
    logger: {
      info: (obj, msg) => logs.push({ level: 'info', obj, msg }),
      warn: (obj, msg) => logs.push({ level: 'warn', obj, msg }),
    },
    ...overrides,
  });
  streamer.onStudySent((e) => events.push(e));
  return { clock, scheduler, streamer, sent, events, logs };
}

/** A send that waits until the test releases it. */
function blockedSend(): { send: DemoStreamerOptions['send']; calls: Deferred[] } {
  const calls: Deferred[] = [];
  return {
    calls,
    send: (study) => {
      let resolve!: () => void;
      const promise = new Promise<StoreBatchResult>((r) => {
        resolve = () =>
          r({ attempted: study.instanceCount, succeeded: study.instanceCount, warnings: 0, failed: [] });
      });
      calls.push({ promise, resolve });
      return promise;
    },
  };
}

test('arrivals come at the configured mean rate, the same for the same seed', async () => {
  const run = async (seed: string) => {
    const h = harness({ seed, studiesPerHour: 120, maxQueuedStudies: 1000 });
    h.streamer.start();
    const times: number[] = [];
    for (let i = 0; i < 300; i++) {
      h.scheduler.fireNext();
      times.push(h.clock.now().getTime());
    }
    await h.streamer.whenIdle();
    await h.streamer.stop();
    return { times, sent: h.sent.map((s) => `${s.site.id}/${s.protocolId}/${s.priority}`), h };
  };
  const a = await run('rate');
  const gaps = a.times.map((t, i) => t - (i === 0 ? Date.parse('2026-03-02T09:00:00Z') : a.times[i - 1]!));
  const meanMs = gaps.reduce((s, g) => s + g, 0) / gaps.length;
  assert.ok(Math.abs(meanMs - 30_000) < 30_000 * 0.15, `mean gap ${meanMs} ms for 120 an hour`);
  assert.ok(new Set(gaps).size > 250, 'gaps are randomised');
  assert.equal(a.h.streamer.stats.sent, 300);
  assert.equal(a.h.scheduler.pending, 0, 'stop cancels the next arrival');
  const b = await run('rate');
  assert.deepEqual(b.times, a.times);
  assert.deepEqual(b.sent, a.sent);
  assert.notDeepEqual((await run('other')).sent, a.sent);
});

test('the mix: stroke CTs from spokes and mostly STAT, priorities mostly routine, every kind appears', () => {
  const rng = new Rng('mix');
  const kinds = new Map<string, number>();
  const priorities = new Map<string, number>();
  let stroke = 0;
  let strokeStat = 0;
  for (let i = 0; i < 4000; i++) {
    const a = drawDemoArrival(rng, DEFAULT_SITES);
    kinds.set(a.kind.id, (kinds.get(a.kind.id) ?? 0) + 1);
    priorities.set(a.priority, (priorities.get(a.priority) ?? 0) + 1);
    if (a.kind.pathway === 'stroke') {
      stroke++;
      assert.equal(a.site.role, SiteRole.Spoke, `stroke CT from ${a.site.id}`);
      if (a.priority === 'STAT') strokeStat++;
    }
  }
  assert.deepEqual([...kinds.keys()].sort(), DEFAULT_DEMO_MIX.map((k) => k.id).sort());
  const routine = priorities.get('ROUTINE')!;
  const urgent = priorities.get('HIGH')!;
  const stat = priorities.get('STAT')!;
  assert.ok(routine > 4000 * 0.55, `routine ${routine}`);
  assert.ok(urgent > stat && stat > 0, `urgent ${urgent}, stat ${stat}`);
  assert.ok(strokeStat > stroke * 0.7, `${strokeStat} of ${stroke} stroke CTs are STAT`);
  const hubOnly = drawDemoArrival(
    new Rng('hub'),
    DEFAULT_SITES.filter((s) => s.role === SiteRole.Hub),
    [DEFAULT_DEMO_MIX[0]!],
  );
  assert.equal(hubOnly.site.role, SiteRole.Hub, 'with no spoke, any site will do');
});

test('studies are planned at the clock time of their arrival, with priority and pathway', async () => {
  const h = harness({ mix: [DEFAULT_DEMO_MIX[0]!] });
  h.streamer.start();
  h.scheduler.fireNext();
  const at = h.clock.now().getTime();
  await h.streamer.whenIdle();
  const study = h.sent[0]!;
  assert.equal(study.studyDateTime.getTime(), at);
  assert.equal(study.studyDescription, 'CT HEAD STROKE PROTOCOL');
  assert.ok(study.priority === 'STAT' || study.priority === 'HIGH');
  assert.equal(study.tiny, true);
  assert.equal(h.events[0]!.kindId, 'ct-head-stroke');
  await h.streamer.stop();
});

test('stop cancels what is scheduled and queued, and waits for the send in flight', async () => {
  const blocked = blockedSend();
  const h = harness({ send: blocked.send });
  h.streamer.start();
  h.scheduler.fireNext();
  h.scheduler.fireNext();
  assert.equal(blocked.calls.length, 1, 'one send at a time');
  let stopped = false;
  const stopping = h.streamer.stop().then(() => {
    stopped = true;
  });
  await new Promise(setImmediate);
  assert.equal(stopped, false, 'stop waits for the study in flight');
  blocked.calls[0]!.resolve();
  await stopping;
  assert.equal(h.streamer.stats.sent, 1);
  assert.equal(blocked.calls.length, 1, 'the queued study was not sent');
  assert.equal(h.scheduler.pending, 0);
  assert.equal(h.streamer.isRunning, false);
  h.streamer.start();
  assert.equal(h.scheduler.pending, 1, 'it can start again');
  await h.streamer.stop();
});

test('a full queue drops studies and says so', async () => {
  const blocked = blockedSend();
  const h = harness({ send: blocked.send, maxQueuedStudies: 2 });
  h.streamer.start();
  for (let i = 0; i < 5; i++) h.scheduler.fireNext();
  assert.deepEqual(h.streamer.stats, { planned: 5, sent: 0, failed: 0, dropped: 2, instances: 0 });
  assert.ok(h.logs.some((l) => l.level === 'warn' && /queue is full/.test(l.msg)));
  for (let i = 0; i < 3; i++) {
    while (blocked.calls.length <= i) await new Promise(setImmediate);
    blocked.calls[i]!.resolve();
  }
  await h.streamer.whenIdle();
  assert.equal(h.streamer.stats.sent, 3);
  await h.streamer.stop();
});

test('a burst brings several studies from one site at once', async () => {
  const h = harness({
    studiesPerHour: 0.0001,
    burst: { everyMinutes: 10, studies: 4, siteId: 'tui-harbour' },
  });
  h.streamer.start();
  h.scheduler.fireNext();
  assert.equal(h.clock.now().toISOString(), '2026-03-02T09:10:00.000Z');
  await h.streamer.whenIdle();
  assert.deepEqual(
    h.sent.map((s) => s.site.id),
    ['tui-harbour', 'tui-harbour', 'tui-harbour', 'tui-harbour'],
  );
  assert.equal(h.scheduler.pending, 2, 'the next arrival and the next burst');
  await h.streamer.stop();
  assert.throws(
    () => harness({ burst: { everyMinutes: 10, studies: 2, siteId: 'atlantis' } }),
    /burst site "atlantis"/,
  );
});

test('a failed association is counted, logged with its code, and the stream goes on', async () => {
  let calls = 0;
  const h = harness({
    send: async (study) => {
      if (calls++ === 0) throw new StoreScuError(StoreScuErrorCode.Aborted, 'peer aborted');
      return { attempted: study.instanceCount, succeeded: study.instanceCount, warnings: 0, failed: [] };
    },
  });
  h.streamer.start();
  h.scheduler.fireNext();
  h.scheduler.fireNext();
  await h.streamer.whenIdle();
  assert.equal(h.streamer.stats.failed, 1);
  assert.equal(h.streamer.stats.sent, 1);
  const warn = h.logs.find((l) => l.level === 'warn')!;
  assert.equal((warn.obj as { code: string }).code, StoreScuErrorCode.Aborted);
  assert.equal(h.events[0]!.errorCode, StoreScuErrorCode.Aborted);
  await h.streamer.stop();
});

test('logs carry counts, sites and modalities, never a patient identifier', async () => {
  const h = harness();
  h.streamer.start();
  for (let i = 0; i < 40; i++) h.scheduler.fireNext();
  await h.streamer.whenIdle();
  await h.streamer.stop();
  const text = JSON.stringify(h.logs);
  for (const s of h.sent) {
    for (const secret of [
      s.patient.patientId,
      s.patient.name.Alphabetic!,
      s.patient.birthDate,
      s.accessionNumber,
      s.studyUid,
      s.reasonForStudy,
    ]) {
      assert.ok(!text.includes(secret), `"${secret}" is in the logs`);
    }
  }
  const allowed = new Set([
    'siteId',
    'aeTitle',
    'kind',
    'modality',
    'priority',
    'instances',
    'succeeded',
    'failed',
    'ms',
    'code',
    'sites',
    'studiesPerHour',
    'burst',
    'size',
    'planned',
    'sent',
    'dropped',
    'studies',
    'queued',
  ]);
  for (const l of h.logs) for (const k of Object.keys(l.obj)) assert.ok(allowed.has(k), `log field ${k}`);
});
