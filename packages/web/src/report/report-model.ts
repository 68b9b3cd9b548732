// What the report editor decides without React: which signatures are offered, how the autosave state reads,
// and which viewer measurements can be inserted.

import type { ReportMeasurement } from '@confer/core';
import type { CaseAnnotation, ReportStatus, SignedReportKind } from './report-api.ts';

/** The signatures a report in this status can take next, in the order the buttons show. */
export function signKinds(status: ReportStatus): SignedReportKind[] {
  switch (status) {
    case 'none':
    case 'draft':
      return ['final', 'preliminary'];
    case 'preliminary':
      return ['final'];
    case 'final':
    case 'addended':
      return ['addendum'];
  }
}

export const signLabels: Record<SignedReportKind, string> = {
  preliminary: 'Sign preliminary',
  final: 'Sign final',
  addendum: 'Sign addendum',
};

export const kindLabels: Record<SignedReportKind, string> = {
  preliminary: 'Preliminary',
  final: 'Final',
  addendum: 'Addendum',
};

export const statusLabels: Record<ReportStatus, string> = {
  none: 'Not started',
  draft: 'Draft',
  preliminary: 'Preliminary',
  final: 'Final',
  addended: 'Final, addended',
};

/** Where the autosave stands, for the indicator beside the editor. */
export type SaveState =
  | { kind: 'saved'; at: string | null }
  | { kind: 'unsaved' }
  | { kind: 'saving' }
  | { kind: 'conflict'; savedBy: string | null; savedAt: string | null }
  | { kind: 'failed'; message: string };

export function saveStateText(s: SaveState): string {
  switch (s.kind) {
    case 'saved':
      return s.at ? 'All changes saved' : 'Nothing to save yet';
    case 'unsaved':
      return 'Unsaved changes';
    case 'saving':
      return 'Saving…';
    case 'conflict':
      return `Not saved: ${s.savedBy ?? 'someone'} saved a newer version${s.savedAt ? ` at ${s.savedAt.slice(11, 16)} UTC` : ''}`;
    case 'failed':
      return `Not saved: ${s.message}`;
  }
}

/** One measurement the editor can insert: from an annotation, labelled as the reader labelled it. */
export interface InsertableMeasurement {
  key: string;
  text: string;
  measurement: ReportMeasurement;
}

/** Every measured value of the case's annotations, as report lines ("Lesion: 12.3 mm (series 3, image 41)"). */
export function insertableMeasurements(annotations: readonly CaseAnnotation[]): InsertableMeasurement[] {
  return annotations.flatMap((a) =>
    a.measurements
      .filter((m) => Number.isFinite(m.value))
      .map((m) => {
        const label = a.label.trim() || m.name.charAt(0).toUpperCase() + m.name.slice(1);
        const measurement: ReportMeasurement = {
          label,
          value: m.value,
          unit: m.unit,
          ...(a.where ? { where: a.where } : {}),
        };
        return {
          key: `${a.id}:${m.name}`,
          text: `${label}: ${m.text ?? `${m.value} ${m.unit}`.trim()}${a.where ? ` (${a.where})` : ''}`,
          measurement,
        };
      }),
  );
}
