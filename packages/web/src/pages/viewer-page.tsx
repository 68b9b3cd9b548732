import { useEffect, useState } from 'react';
import type { User } from '../api-client.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { type Problem, toProblem } from '../problem.ts';
import { ImageViewer } from '../viewer/image-viewer.tsx';
import { viewerApi } from '../viewer/viewer-api.ts';
import '../viewer/viewer.css';

interface ViewerPageProps {
  user: User;
  /** `#/cases/<id>/viewer`: the case's study, with its annotations. */
  caseId: string | null;
  /** `?study=<uid>` for a bare study, `?annotation=<id>` to open on an annotation. */
  params: URLSearchParams;
}

/**
 * The image viewer page. Loaded on demand (the app imports it lazily), so the worklist never downloads
 * Cornerstone and its codecs.
 */
export default function ViewerPage({ user, caseId, params }: ViewerPageProps) {
  const [studyUid, setStudyUid] = useState<string | null>(caseId ? null : params.get('study'));
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    if (!caseId) {
      setStudyUid(params.get('study'));
      return;
    }
    const controller = new AbortController();
    viewerApi.caseDetail(caseId, controller.signal).then(
      (detail) => setStudyUid(detail.case.studyUid),
      (error: unknown) => !controller.signal.aborted && setProblem(toProblem(error)),
    );
    return () => controller.abort();
  }, [caseId, params]);

  return (
    <div className="viewer-page">
      <h1 className="visually-hidden" tabIndex={-1}>
        {caseId ? `Viewer for case ${caseId}` : 'Viewer'}
      </h1>
      {problem ? (
        <ErrorNotice problem={problem} />
      ) : !studyUid ? (
        caseId ? (
          <p role="status">Loading the case…</p>
        ) : (
          <p>Open the viewer from a case, or from a study on the Studies page.</p>
        )
      ) : (
        <ImageViewer
          key={studyUid}
          user={user}
          caseId={caseId}
          studyUid={studyUid}
          focusAnnotationId={params.get('annotation')}
        />
      )}
    </div>
  );
}
