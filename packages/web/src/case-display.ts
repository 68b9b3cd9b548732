// How a case is named and flagged on screen: the patient, the procedure, and the AI triage badge.

import { formatPersonName } from './dicom-json.ts';
import type { CaseSummary } from './worklist-model.ts';

/** The patient as a person reads it: "Doe, Jane", or a placeholder when the study carried no name. */
export function patientDisplayName(c: Pick<CaseSummary, 'patientName'>): string {
  const name = c.patientName ? formatPersonName(c.patientName) : '';
  return name === '' ? 'Unnamed patient' : name;
}

/** The procedure, falling back to modalities and body parts ("CT HEAD") when the order named none. */
export function procedureText(c: Pick<CaseSummary, 'procedure' | 'modalities' | 'bodyParts'>): string {
  if (c.procedure && c.procedure.trim() !== '') return c.procedure;
  const parts = [...c.modalities, ...c.bodyParts].join(' ');
  return parts === '' ? '—' : parts;
}

/** A short line naming a case for announcements and accessible names: "Doe, Jane — CT head (STAT)". */
export function caseLabel(c: CaseSummary): string {
  return `${patientDisplayName(c)} — ${procedureText(c)}`;
}

const flagWords: Record<string, string> = {
  'suspected-critical': 'suspected critical finding',
  ich: 'suspected ICH',
  pe: 'suspected PE',
  lvo: 'suspected LVO',
  pneumothorax: 'suspected pneumothorax',
  fracture: 'suspected fracture',
  'protocol-mismatch': 'protocol mismatch',
  'incomplete-study': 'incomplete study',
};

/**
 * The AI triage badge text, e.g. "AI: suspected ICH", or null when no AI result touched the case. The
 * finding the AI named in the priority reason ("AI suspects ICH (confidence 0.93), from ...") is the most
 * specific, then a known flag, then any flag.
 */
export function aiBadgeText(c: Pick<CaseSummary, 'aiFlags' | 'priorityReasons'>): string | null {
  for (const reason of c.priorityReasons) {
    const match = /^AI suspects (.+?)(?: \(confidence [^)]*\))?(?:, from .*)?$/.exec(reason);
    if (match?.[1]) return `AI: suspected ${match[1]}`;
  }
  if (c.aiFlags.length === 0) return null;
  const specific = c.aiFlags.find((f) => f !== 'suspected-critical') ?? c.aiFlags[0]!;
  return `AI: ${flagWords[specific.toLowerCase()] ?? specific.replace(/-/g, ' ')}`;
}
