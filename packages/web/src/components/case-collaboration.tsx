import { useState } from 'react';
import { abilitiesOf, type User } from '../api-client.ts';
import { ConsultPanel } from './consult-panel.tsx';
import { DiscussionPanel } from './discussion-panel.tsx';

/**
 * The case page's collaboration section: its consults and its discussion. A consult that changes (heard on
 * the discussion's live stream) refreshes the consults and, through `onCaseChanged`, the case timeline.
 */
export function CaseCollaboration({
  caseId,
  user,
  nowMs,
  onCaseChanged,
}: {
  caseId: string;
  user: User;
  nowMs: number;
  onCaseChanged: () => void;
}) {
  const abilities = abilitiesOf(user);
  const [consultsKey, setConsultsKey] = useState(0);
  return (
    <div className="case-grid collaboration-grid">
      <div className="case-column">
        <DiscussionPanel
          caseId={caseId}
          username={user.username}
          canShare={abilities.worklist}
          nowMs={nowMs}
          onConsultChanged={() => {
            setConsultsKey((k) => k + 1);
            onCaseChanged();
          }}
        />
      </div>
      <div className="case-column">
        <ConsultPanel
          caseId={caseId}
          username={user.username}
          canRequest={abilities.read}
          nowMs={nowMs}
          refreshKey={consultsKey}
          onChanged={onCaseChanged}
        />
      </div>
    </div>
  );
}
