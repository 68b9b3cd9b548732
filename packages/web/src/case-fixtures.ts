// Worklist rows for unit tests: a plausible case with the fields a test cares about overridden.

import type { CaseSummary } from './worklist-model.ts';

export function caseSummary(overrides: Partial<CaseSummary> = {}): CaseSummary {
  return {
    id: 'C-000000000001',
    studyUid: '1.2.826.0.1.3680043.8.498.1',
    siteId: 'north',
    state: 'ready',
    priority: 'routine',
    pathway: null,
    ownerId: null,
    leaseExpiresAt: null,
    broadened: false,
    exception: null,
    slaClass: 'routine',
    slaState: 'ok',
    slaDueAt: '2024-07-01T12:00:00.000Z',
    availableAt: '2024-07-01T10:00:00.000Z',
    modalities: ['CT'],
    bodyParts: ['HEAD'],
    procedure: 'CT head without contrast',
    accessionNumber: 'NV000123',
    patientName: 'Doe^Jane',
    patientId: 'NV-0042',
    aiFlags: [],
    priorityReasons: [],
    version: 3,
    updatedAt: '2024-07-01T10:05:00.000Z',
    ...overrides,
  };
}
