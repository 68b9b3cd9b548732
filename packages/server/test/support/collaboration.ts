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
