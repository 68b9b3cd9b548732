// The smallest routing network a browser test of reading needs: the Northvale hub and Dr Ada Quill ('ada')
// on a round-the-clock London shift, with every case on the shared worklist and a one-day routine target.

import { DEFAULT_SITES } from '../../packages/server/src/synthetic/index.ts';

const HUB = DEFAULT_SITES.find((s) => s.id === 'northvale-hub')!;
const since = '2020-01-01';

/** One hub, one reader ('ada', reading `subspecialty`) on a round-the-clock shift, everything shared. */
export function oneReaderRouting(subspecialty: string) {
  return {
    sites: [
      { id: HUB.id, name: HUB.name, timeZone: HUB.timeZone, jurisdiction: HUB.jurisdiction, kind: 'hub' },
    ],
    partners: [],
    readers: [
      {
        id: 'r-ada',
        name: 'Dr Ada Quill',
        username: 'ada',
        subspecialties: [subspecialty],
        modalities: ['CT', 'MR', 'CR'],
        licences: [{ jurisdiction: HUB.jurisdiction, validFrom: since }],
        privileges: [{ siteId: HUB.id, validFrom: since }],
        maxConcurrent: 4,
      },
    ],
    shifts: [
      {
        id: 'london-24',
        name: 'London, round the clock',
        timeZone: 'Europe/London',
        days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
        start: '00:00',
        end: '00:00',
        covers: {},
      },
    ],
    rosters: [{ readerId: 'r-ada', shiftId: 'london-24', from: since }],
    pools: [],
    rules: [
      {
        id: 'shared',
        name: 'Everything on the shared worklist',
        when: {},
        then: { target: { kind: 'covering-shifts', scope: 'any' }, strategy: 'pool' },
      },
    ],
    sla: {
      classes: [
        {
          id: 'routine',
          name: 'Routine',
          targets: [{ from: 'available', to: 'final', minutes: 1440 }],
          escalation: [],
        },
      ],
      byPriority: { stat: 'routine', urgent: 'routine', routine: 'routine' },
    },
  };
}
