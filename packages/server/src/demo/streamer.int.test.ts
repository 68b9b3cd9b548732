// The demo streamer over real DICOM into Confer's DIMSE server and archive, timers driven by the test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@confer/core';
import { startDimseArchive } from '../../test/support/dimse-archive.ts';
import { DEFAULT_SITES, SiteRole } from '../synthetic/sites.ts';
import { DEFAULT_DEMO_MIX, DemoStreamer, type DemoStudySent, type Scheduler } from './streamer.ts';

/** Hands the streamer's timers to the test, which fires them in due order. */
function manualScheduler(clock: ManualClock) {
  const timers = new Map<number, { at: number; fn: () => void }>();
  let nextId = 1;
  const scheduler: Scheduler = {
    setTimeout(fn, delayMs) {
      timers.set(nextId, { at: clock.now().getTime() + delayMs, fn });
      return nextId++;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
  };
  const fireNext = () => {
    const [id, t] = [...timers].sort((a, b) => a[1].at - b[1].at)[0]!;
    timers.delete(id);
    clock.set(new Date(t.at));
    t.fn();
  };
  return { scheduler, fireNext, pending: () => timers.size };
}

const sites = DEFAULT_SITES.map((s) => ({ id: s.id, aeTitles: [s.aeTitle] }));

test('streamed studies are stored, each under the site whose AE title sent it', {
  timeout: 60_000,
}, async () => {
  const archive = await startDimseArchive({ sites });
  try {
    const clock = new ManualClock('2026-03-02T09:00:00Z');
    const timers = manualScheduler(clock);
    const streamer = new DemoStreamer({
      host: '127.0.0.1',
      port: archive.port,
      calledAe: archive.aeTitle,
      studiesPerHour: 30,
      seed: 'int',
      clock,
      scheduler: timers.scheduler,
      size: 'tiny',
      timeoutMs: 10_000,
    });
    const events: DemoStudySent[] = [];
    streamer.onStudySent((e) => events.push(e));
    streamer.start();
    for (let i = 0; i < 5; i++) timers.fireNext();
    await streamer.whenIdle();
    await streamer.stop();
    assert.equal(timers.pending(), 0);
    assert.deepEqual(streamer.stats, {
      planned: 5,
      sent: 5,
      failed: 0,
      dropped: 0,
      instances: events.reduce((n, e) => n + e.instances, 0),
    });
    const stored = await archive.storedStudies();
    assert.equal(stored.length, 5);
    for (const e of events) {
      const s = stored.find((x) => x.studyUid === e.studyUid);
      assert.ok(s, `study from ${e.siteId} stored`);
      assert.equal(s.siteId, e.siteId, 'the calling AE title decided the site');
      assert.ok(s.modalities.split('\\').includes(e.modality));
    }
    assert.equal((await archive.storedInstanceUids()).length, streamer.stats.instances);
  } finally {
    await archive.close();
  }
});

test('a stroke CT arrives from a spoke as CT HEAD STROKE PROTOCOL, demo-sized', {
  timeout: 60_000,
}, async () => {
  const archive = await startDimseArchive({ sites });
  try {
    const clock = new ManualClock('2026-03-02T03:00:00Z');
    const timers = manualScheduler(clock);
    const streamer = new DemoStreamer({
      host: '127.0.0.1',
      port: archive.port,
      calledAe: archive.aeTitle,
      studiesPerHour: 12,
      seed: 'stroke',
      clock,
      scheduler: timers.scheduler,
      mix: DEFAULT_DEMO_MIX.filter((k) => k.pathway === 'stroke'),
    });
    const events: DemoStudySent[] = [];
    streamer.onStudySent((e) => events.push(e));
    streamer.start();
    timers.fireNext();
    await streamer.whenIdle();
    await streamer.stop();
    const [study] = await archive.storedStudies();
    assert.equal(study?.description, 'CT HEAD STROKE PROTOCOL');
    const site = DEFAULT_SITES.find((s) => s.id === study.siteId)!;
    assert.equal(site.role, SiteRole.Spoke);
    assert.equal(events[0]!.instances, 21, 'a localizer and 20 small axial slices');
    assert.equal(events[0]!.succeeded, 21);
  } finally {
    await archive.close();
  }
});
