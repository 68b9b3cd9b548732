import type { Types } from '@cornerstonejs/core';
import { useEffect, useRef } from 'react';
import { CoreEnums, createToolGroup, type RenderingEngine } from './cornerstone-runtime.ts';
import { windowOf } from './window-presets.ts';

export interface PaneImage {
  index: number;
  count: number;
  window: { center: number; width: number } | null;
}

interface ViewerPaneProps {
  engine: RenderingEngine;
  viewportId: string;
  /** Shown in the corner: "Current · CT HEAD · series 2". */
  title: string;
  imageIds: readonly string[];
  initialIndex: number;
  active: boolean;
  image: PaneImage | undefined;
  onActivate(): void;
  onImage(image: PaneImage): void;
  /** Called once the stack is set, so annotations can be added to this viewport's element. */
  onReady(element: HTMLDivElement): void;
}

export function toolGroupIdOf(viewportId: string): string {
  return `confer-${viewportId}`;
}

/** The stack viewport of a pane; undefined while it is not mounted. */
export function stackViewport(engine: RenderingEngine, viewportId: string): Types.IStackViewport | undefined {
  try {
    return engine.getViewport(viewportId) as Types.IStackViewport | undefined;
  } catch {
    return undefined;
  }
}

/**
 * One image stack on screen: a Cornerstone stack viewport with its own tool group, a slider and the
 * overlay (series, image number, window). The parent drives it through the viewport id.
 */
export function ViewerPane(props: ViewerPaneProps) {
  const { engine, viewportId, imageIds, initialIndex, onImage, onReady } = props;
  const element = useRef<HTMLDivElement>(null);
  const callbacks = useRef({ onImage, onReady });
  callbacks.current = { onImage, onReady };

  // biome-ignore lint/correctness/useExhaustiveDependencies: initialIndex is where the stack opens, not a controlled value; a change must not reload the stack
  useEffect(() => {
    const el = element.current;
    if (!el || imageIds.length === 0) return;
    engine.enableElement({
      viewportId,
      type: CoreEnums.ViewportType.STACK,
      element: el,
      defaultOptions: { background: [0, 0, 0] },
    });
    createToolGroup(toolGroupIdOf(viewportId), viewportId, engine.id);
    const vp = stackViewport(engine, viewportId);
    let live = true;
    const report = () => {
      if (!live || !vp) return;
      const voi = vp.getProperties().voiRange;
      callbacks.current.onImage({
        index: vp.getCurrentImageIdIndex(),
        count: imageIds.length,
        window: voi ? windowOf(voi) : null,
      });
    };
    el.addEventListener(CoreEnums.Events.STACK_NEW_IMAGE, report);
    el.addEventListener(CoreEnums.Events.VOI_MODIFIED, report);
    el.addEventListener(CoreEnums.Events.IMAGE_RENDERED, report);
    vp?.setStack([...imageIds], Math.min(Math.max(0, initialIndex), imageIds.length - 1)).then(
      () => {
        if (!live) return;
        vp.render();
        report();
        callbacks.current.onReady(el);
      },
      () => {
        if (live) el.dataset.error = 'true';
      },
    );
    const resize = new ResizeObserver(() => engine.resize(true, true));
    resize.observe(el);
    return () => {
      live = false;
      resize.disconnect();
      el.removeEventListener(CoreEnums.Events.STACK_NEW_IMAGE, report);
      el.removeEventListener(CoreEnums.Events.VOI_MODIFIED, report);
      el.removeEventListener(CoreEnums.Events.IMAGE_RENDERED, report);
      engine.disableElement(viewportId);
    };
  }, [engine, viewportId, imageIds]);

  const image = props.image;
  const count = imageIds.length;
  return (
    <section
      className={`viewer-pane${props.active ? ' is-active' : ''}`}
      aria-label={props.title}
      onPointerDown={props.onActivate}
    >
      <div
        className="viewer-canvas"
        ref={element}
        data-viewport-id={viewportId}
        data-image-index={image?.index ?? ''}
      />
      <div className="viewer-overlay viewer-overlay-top" aria-hidden="true">
        {props.title}
      </div>
      <div className="viewer-overlay viewer-overlay-bottom" aria-live="off">
        <span data-testid="image-position">
          Im {image ? image.index + 1 : '–'}/{count}
        </span>
        {image?.window ? (
          <span>
            {' '}
            · W {Math.round(image.window.width)} L {Math.round(image.window.center)}
          </span>
        ) : null}
      </div>
      {count > 1 ? (
        <input
          className="viewer-slider"
          type="range"
          min={1}
          max={count}
          value={(image?.index ?? 0) + 1}
          aria-label={`Image in ${props.title}`}
          onChange={(e) => {
            stackViewport(engine, viewportId)?.setImageIdIndex(Number(e.target.value) - 1);
          }}
        />
      ) : null}
    </section>
  );
}
