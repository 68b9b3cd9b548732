import type { Reader, RoutingConfig } from '@confer/core';
import { HUB, SPOKE, testRoutingConfig } from './worklist.ts';

/**
 * The worklist test network plus Dr Dee Okoro: neuro, licensed in England and New York, privileged at both
 * sites, on a shift that covers MR only. The test studies are CR, so no case is routed to Dee and Dee sees
 * none on the worklist, but Dee is on shift and qualified: an eligible consultant. The neuro pool is Ada
 * (England only) and Dee.
 */
export function collaborationRouting(): RoutingConfig {
  const base = testRoutingConfig();
  const dee: Reader = {
    id: 'r-dee',
    name: 'Dr Dee Okoro',
    username: 'dee',
    subspecialties: ['neuro'],
    modalities: ['CT', 'MR', 'CR'],
    licences: [
      { jurisdiction: 'GB-ENG', validFrom: '2020-01-01' },
      { jurisdiction: 'US-NY', validFrom: '2020-01-01' },
    ],
    privileges: [
      { siteId: HUB.id, validFrom: '2020-01-01' },
      { siteId: SPOKE.id, validFrom: '2020-01-01' },
    ],
    maxConcurrent: 4,
  };
  return {
    ...base,
    readers: [...base.readers, dee],
    shifts: [
      ...base.shifts,
      {
        id: 'mr-only',
        name: 'MR around the clock',
        timeZone: 'Europe/London',
        days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
        start: '00:00',
        end: '00:00',
        covers: { modalities: ['MR'] },
      },
    ],
    rosters: [...base.rosters, { readerId: 'r-dee', shiftId: 'mr-only', from: '2020-01-01' }],
    pools: [{ id: 'neuro', name: 'Neuroradiology', readerIds: ['r-ada', 'r-dee'] }],
  };
}

/** A server-sent events stream read over real HTTP, event by event. */
export async function readEvents(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const res = await fetch(url, { headers, signal: controller.signal });
  if (res.status !== 200) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return {
    /** The next event (any name), with its data parsed; null when the server ended the stream. */
    async next(): Promise<{ event: string; data: unknown } | null> {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = block.split('\n').find((l) => l.startsWith('event: '));
          const data = block.split('\n').find((l) => l.startsWith('data: '));
          if (!event) continue; // a comment (keep-alive) or the retry line alone
          return { event: event.slice(7), data: data ? JSON.parse(data.slice(6)) : null };
        }
        const { value, done } = await reader.read();
        if (done) return null;
        buffer += decoder.decode(value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}
