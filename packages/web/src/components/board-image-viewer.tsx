// The image viewer inside board presentation mode, loaded on demand (Cornerstone and its codecs are a
// separate chunk: nobody pays for them until a board presents a case).

import type { User } from '../api-client.ts';
import { ImageViewer } from '../viewer/image-viewer.tsx';
import '../viewer/viewer.css';

export default function BoardImageViewer({
  user,
  caseId,
  studyUid,
}: {
  user: User;
  caseId: string;
  studyUid: string;
}) {
  return (
    <ImageViewer key={studyUid} user={user} caseId={caseId} studyUid={studyUid} focusAnnotationId={null} />
  );
}
