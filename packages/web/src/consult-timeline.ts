// How the case timeline words consult events (case:consult-*), written by the consult service.

type Tone = 'normal' | 'good' | 'warning' | 'danger';

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The label, description and tone of a consult event, or null when the type is not one. */
export function describeConsultEvent(
  type: string,
  detail: Record<string, unknown>,
): { label: string; description: string; tone: Tone } | null {
  if (!type.startsWith('case:consult-')) return null;
  const what = detail.kind === 'second-opinion' ? 'Second opinion' : 'Consult';
  const target = str(detail.target);
  const consultant = str(detail.consultant);
  switch (type) {
    case 'case:consult-requested':
      return {
        label: `${what} requested`,
        description: `${target ? `of ${target}` : ''}${str(detail.question) ? `: “${str(detail.question)}”` : ''}`,
        tone: 'normal',
      };
    case 'case:consult-routed':
      return { label: `${what} routed`, description: consultant ? `to ${consultant}` : '', tone: 'normal' };
    case 'case:consult-accepted':
      return { label: `${what} accepted`, description: '', tone: 'normal' };
    case 'case:consult-declined':
      return {
        label: `${what} declined`,
        description: str(detail.reason) ? `— ${str(detail.reason)}` : '',
        tone: 'warning',
      };
    case 'case:consult-answered':
      return {
        label: `${what} answered`,
        description: `${consultant ? `by ${consultant}` : ''}${str(detail.answer) ? `: “${str(detail.answer)}”` : ''}`,
        tone: 'good',
      };
    case 'case:consult-unassigned':
      return { label: `${what} waiting`, description: 'nobody eligible to take it now', tone: 'warning' };
    case 'case:consult-expired':
      return { label: `${what} past its target`, description: 'unanswered; escalated', tone: 'danger' };
    case 'case:consult-cancelled':
      return {
        label: `${what} cancelled`,
        description: str(detail.reason) ? `— ${str(detail.reason)}` : '',
        tone: 'normal',
      };
    default:
      return { label: type.slice(5), description: '', tone: 'normal' };
  }
}
