import { useEffect, useRef } from 'react';
import { utilities } from './cornerstone-runtime.ts';
import { loadSeriesStack } from './use-series-stack.ts';

export interface SeriesSummary {
  studyUid: string;
  seriesUid: string;
  number: number | null;
  modality: string;
  description: string;
  instances: number;
}

const NON_IMAGE = new Set(['SR', 'PR', 'KO', 'DOC']);

/** The study's series with a thumbnail of each one's middle image; SR and other non-image series are listed, not opened. */
export function SeriesList(props: {
  series: SeriesSummary[];
  selected: string | null;
  onSelect(seriesUid: string): void;
}) {
  return (
    <ul className="viewer-series" data-testid="series-list">
      {props.series.map((s) => {
        const image = !NON_IMAGE.has(s.modality);
        return (
          <li key={s.seriesUid}>
            <button
              type="button"
              className={`viewer-series-item${s.seriesUid === props.selected ? ' is-selected' : ''}`}
              aria-current={s.seriesUid === props.selected ? 'true' : undefined}
              disabled={!image}
              onClick={() => props.onSelect(s.seriesUid)}
              title={image ? 'Open this series' : 'Not an image series'}
            >
              {image ? (
                <Thumbnail studyUid={s.studyUid} seriesUid={s.seriesUid} />
              ) : (
                <span className="viewer-thumb" />
              )}
              <span>
                <strong>
                  {s.number ?? '?'} · {s.modality}
                </strong>{' '}
                {s.description}
                <br />
                <span className="muted">
                  {s.instances} {s.instances === 1 ? 'object' : 'objects'}
                </span>
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

function Thumbnail({ studyUid, seriesUid }: { studyUid: string; seriesUid: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    let live = true;
    loadSeriesStack(studyUid, seriesUid).then(
      (stack) => {
        const id = stack.imageIds[Math.floor(stack.imageIds.length / 2)];
        if (!live || !id) return;
        // Cornerstone sizes the canvas it draws on (256 px and an inline size); draw off screen, then scale
        // into the list's fixed 64 px canvas.
        const scratch = document.createElement('canvas');
        utilities.loadImageToCanvas({ canvas: scratch, imageId: id, thumbnail: true }).then(
          () => {
            const target = canvas.current;
            const ctx = target?.getContext('2d');
            if (!live || !target || !ctx || scratch.width === 0 || scratch.height === 0) return;
            const scale = Math.min(target.width / scratch.width, target.height / scratch.height);
            const w = scratch.width * scale;
            const h = scratch.height * scale;
            ctx.fillStyle = '#000';
            ctx.fillRect(0, 0, target.width, target.height);
            ctx.drawImage(scratch, (target.width - w) / 2, (target.height - h) / 2, w, h);
          },
          () => {},
        );
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [studyUid, seriesUid]);
  return <canvas className="viewer-thumb" width={64} height={64} ref={canvas} />;
}
