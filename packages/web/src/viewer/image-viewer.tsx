import type { Types } from '@cornerstonejs/core';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { User } from '../api-client.ts';
import { caseHref } from '../app-route.ts';
import { ErrorNotice } from '../components/error-notice.tsx';
import { type Problem, toProblem } from '../problem.ts';
import {
  CORNERSTONE_TOOL,
  type CornerstoneAnnotationLike,
  samePoints,
  statisticsDiffer,
  toNewAnnotation,
} from './annotation-bridge.ts';
import {
  annotation as csAnnotation,
  eventTarget,
  imageIdOf,
  imageRefOf,
  initCornerstone,
  metaData,
  RenderingEngine,
  setPrimaryTool,
  ToolEnums,
  utilities,
  ViewerTool,
  worldToImage,
} from './cornerstone-runtime.ts';
import { SeriesList, type SeriesSummary } from './series-list.tsx';
import { cross, mapSliceIndex, SyncMode, syncModeOf } from './stack-geometry.ts';
import { useCaseAnnotations } from './use-case-annotations.ts';
import { type SeriesStack, useSeriesStack } from './use-series-stack.ts';
import {
  type DicomJson,
  dicomString,
  type SavedAnnotation,
  type SrExportResult,
  viewerApi,
} from './viewer-api.ts';
import { type PaneImage, stackViewport, toolGroupIdOf, ViewerPane } from './viewer-pane.tsx';
import { headerPresets, presetsFor, voiRangeOf, type WindowPreset } from './window-presets.ts';

const MAIN = 'confer-main';
const PRIOR = 'confer-prior';

const TOOLS: { tool: string; label: string; key: string }[] = [
  { tool: ViewerTool.WindowLevel, label: 'W/L', key: 'w' },
  { tool: ViewerTool.Pan, label: 'Pan', key: 'p' },
  { tool: ViewerTool.Zoom, label: 'Zoom', key: 'z' },
  { tool: ViewerTool.Length, label: 'Length', key: 'l' },
  { tool: ViewerTool.Angle, label: 'Angle', key: 'a' },
  { tool: ViewerTool.Ellipse, label: 'Ellipse', key: 'e' },
  { tool: ViewerTool.Rectangle, label: 'Rectangle', key: 'r' },
];

interface ImageViewerProps {
  user: User;
  /** The case whose annotations are shown and saved; null for a bare study. */
  caseId: string | null;
  studyUid: string;
  /** Open on this annotation (the deep link `?annotation=`). */
  focusAnnotationId: string | null;
}

function seriesSummaries(rows: DicomJson[], studyUid: string): SeriesSummary[] {
  return rows
    .map((r) => ({
      studyUid,
      seriesUid: dicomString(r, '0020000E'),
      number: Number(dicomString(r, '00200011')) || null,
      modality: dicomString(r, '00080060'),
      description: dicomString(r, '0008103E'),
      instances: Number(dicomString(r, '00201209')) || 0,
    }))
    .sort((a, b) => (a.number ?? 1e9) - (b.number ?? 1e9));
}

/** The series to open first: the first image series with the most images. */
function defaultSeries(list: SeriesSummary[]): SeriesSummary | undefined {
  const images = list.filter((s) => !['SR', 'PR', 'KO', 'DOC'].includes(s.modality));
  return [...images].sort((a, b) => b.instances - a.instances)[0] ?? list[0];
}

/** The prior's series that best matches the current one: same modality, then the closest description. */
function matchingSeries(
  list: SeriesSummary[],
  current: SeriesSummary | undefined,
): SeriesSummary | undefined {
  const images = list.filter((s) => !['SR', 'PR', 'KO', 'DOC'].includes(s.modality));
  const same = images.filter((s) => s.modality === current?.modality);
  const byDescription = same.find((s) => s.description && s.description === current?.description);
  return byDescription ?? same.sort((a, b) => b.instances - a.instances)[0] ?? defaultSeries(list);
}

export function ImageViewer({ user, caseId, studyUid, focusAnnotationId }: ImageViewerProps) {
  const [engine, setEngine] = useState<RenderingEngine | null>(null);
  const [initProblem, setInitProblem] = useState<Problem | null>(null);
  const [series, setSeries] = useState<SeriesSummary[] | null>(null);
  const [mainSeries, setMainSeries] = useState<string | null>(null);
  const [study, setStudy] = useState<DicomJson | null>(null);
  const [priors, setPriors] = useState<DicomJson[] | null>(null);
  const [prior, setPrior] = useState<{ studyUid: string; series: SeriesSummary[]; seriesUid: string } | null>(
    null,
  );
  const [sync, setSync] = useState(true);
  const [tool, setTool] = useState<string>(ViewerTool.WindowLevel);
  const [active, setActive] = useState<string>(MAIN);
  const [images, setImages] = useState<Record<string, PaneImage>>({});
  const [cine, setCine] = useState<{ playing: boolean; fps: number }>({ playing: false, fps: 10 });
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [exported, setExported] = useState<SrExportResult | null>(null);
  const [selected, setSelected] = useState<string | null>(focusAnnotationId);
  const [panesReady, setPanesReady] = useState(0);
  const [seriesVersion, setSeriesVersion] = useState(0);
  const paneElements = useRef(new Map<string, { element: HTMLDivElement; seriesUid: string }>());
  const canWrite = user.roles.includes('radiologist') || user.roles.includes('admin');
  const caseAnnotations = useCaseAnnotations(caseId);
  const { annotations } = caseAnnotations;
  const annotationsRef = useRef(annotations);
  annotationsRef.current = annotations;

  // --------------------------------------------------------------- set-up and data

  useEffect(() => {
    let live = true;
    initCornerstone().then(
      () => {
        if (!live) return;
        setEngine(new RenderingEngine('confer-viewer'));
      },
      (error: unknown) => live && setInitProblem(toProblem(error)),
    );
    return () => {
      live = false;
    };
  }, []);
  useEffect(() => () => engine?.destroy(), [engine]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: seriesVersion reloads the list after an SR export adds a series
  useEffect(() => {
    const controller = new AbortController();
    viewerApi.series(studyUid, controller.signal).then(
      (rows) => {
        const list = seriesSummaries(rows, studyUid);
        setSeries(list);
        setMainSeries((current) => current ?? defaultSeries(list)?.seriesUid ?? null);
      },
      (error: unknown) => !controller.signal.aborted && setProblem(toProblem(error)),
    );
    const params = new URLSearchParams({ StudyInstanceUID: studyUid, includefield: 'IssuerOfPatientID' });
    viewerApi.studies(params, controller.signal).then(
      (rows) => setStudy(rows[0] ?? null),
      (error: unknown) => !controller.signal.aborted && setProblem(toProblem(error)),
    );
    return () => controller.abort();
  }, [studyUid, seriesVersion]);

  // Priors: the patient's other studies, by Patient ID and its issuer.
  useEffect(() => {
    if (!study) return;
    const patientId = dicomString(study, '00100020');
    if (!patientId) {
      setPriors([]);
      return;
    }
    const controller = new AbortController();
    const params = new URLSearchParams({
      PatientID: patientId,
      includefield: 'StudyDescription,ModalitiesInStudy,IssuerOfPatientID',
    });
    const issuer = dicomString(study ?? undefined, '00100021');
    if (issuer) params.set('IssuerOfPatientID', issuer);
    viewerApi.studies(params, controller.signal).then(
      (rows) => {
        const others = rows.filter((r) => dicomString(r, '0020000D') !== studyUid);
        others.sort((a, b) => dicomString(b, '00080020').localeCompare(dicomString(a, '00080020')));
        setPriors(others);
      },
      (error: unknown) => !controller.signal.aborted && setProblem(toProblem(error)),
    );
    return () => controller.abort();
  }, [study, studyUid]);

  const mainState = useSeriesStack(studyUid, mainSeries);
  const priorState = useSeriesStack(prior?.studyUid ?? null, prior?.seriesUid ?? null);
  const mainStack = mainState.status === 'ready' ? mainState.stack : null;
  const priorStack = priorState.status === 'ready' ? priorState.stack : null;
  const stacks = useMemo(() => {
    const m = new Map<string, SeriesStack>();
    if (mainStack) m.set(MAIN, mainStack);
    if (priorStack) m.set(PRIOR, priorStack);
    return m;
  }, [mainStack, priorStack]);

  // --------------------------------------------------------------- deep link to an annotation

  const focusDone = useRef(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: panesReady (and the list) re-run it once a pane shows a new series
  useEffect(() => {
    if (!focusAnnotationId || focusDone.current) return;
    const a = annotations.find((x) => x.id === focusAnnotationId);
    if (!a || !series) return;
    if (mainSeries !== a.seriesUid) {
      setMainSeries(a.seriesUid);
      return;
    }
    if (!mainStack || !engine) return;
    const index = mainStack.geometry.slices.findIndex(
      (s) => s.sopInstanceUid === a.sopInstanceUid && s.frameNumber === a.frameNumber,
    );
    const vp = stackViewport(engine, MAIN);
    if (index >= 0 && vp && paneElements.current.get(MAIN)?.seriesUid === a.seriesUid) {
      focusDone.current = true;
      vp.setImageIdIndex(index);
      setSelected(a.id);
    }
  }, [focusAnnotationId, annotations, series, mainSeries, mainStack, engine, panesReady]);

  // --------------------------------------------------------------- synchronised scrolling

  const syncMode = useMemo(
    () => (mainStack && priorStack ? syncModeOf(mainStack.geometry, priorStack.geometry) : null),
    [mainStack, priorStack],
  );
  // Set by a programmatic scroll, so the other pane's answering event is not echoed back.
  const echo = useRef(new Map<string, number>());
  const onImage = useCallback(
    (viewportId: string, image: PaneImage) => {
      setImages((all) => {
        const before = all[viewportId];
        if (
          before &&
          before.index === image.index &&
          before.count === image.count &&
          before.window?.center === image.window?.center &&
          before.window?.width === image.window?.width
        )
          return all;
        return { ...all, [viewportId]: image };
      });
      if (echo.current.get(viewportId) === image.index) {
        echo.current.delete(viewportId);
        return;
      }
      if (!sync || !engine || !syncMode) return;
      const other = viewportId === MAIN ? PRIOR : MAIN;
      const from = stacks.get(viewportId);
      const to = stacks.get(other);
      const vp = stackViewport(engine, other);
      if (!from || !to || !vp) return;
      const target = mapSliceIndex(syncMode, from.geometry, to.geometry, image.index);
      if (vp.getCurrentImageIdIndex() === target) return;
      echo.current.set(other, target);
      vp.setImageIdIndex(target);
    },
    [sync, engine, syncMode, stacks],
  );

  // --------------------------------------------------------------- tools, presets, keys, cine

  // biome-ignore lint/correctness/useExhaustiveDependencies: panesReady (and the list) re-run it once a pane shows a new series
  useEffect(() => {
    if (!engine) return;
    for (const id of [MAIN, PRIOR]) setPrimaryTool(toolGroupIdOf(id), tool);
  }, [engine, tool, panesReady]);

  const activeStack = stacks.get(active) ?? mainStack;
  const presets: WindowPreset[] = useMemo(() => {
    const first = activeStack?.geometry.slices[0]?.metadata;
    const modality = dicomString(first as DicomJson | undefined, '00080060');
    return presetsFor(
      modality,
      headerPresets(first?.['00281050']?.Value, first?.['00281051']?.Value, first?.['00281055']?.Value),
    );
  }, [activeStack]);

  const applyPreset = useCallback(
    (p: WindowPreset) => {
      if (!engine) return;
      const vp = stackViewport(engine, active) ?? stackViewport(engine, MAIN);
      vp?.setProperties({ voiRange: voiRangeOf(p.center, p.width) });
      vp?.render();
    },
    [engine, active],
  );

  const reset = useCallback(() => {
    if (!engine) return;
    for (const id of [MAIN, PRIOR]) {
      const vp = stackViewport(engine, id);
      if (!vp) continue;
      vp.resetProperties();
      vp.resetCamera();
      vp.render();
    }
  }, [engine]);

  const scrollBy = useCallback(
    (delta: number) => {
      if (!engine) return;
      const vp = stackViewport(engine, active) ?? stackViewport(engine, MAIN);
      if (!vp) return;
      const n = vp.getImageIds().length;
      vp.setImageIdIndex(Math.min(n - 1, Math.max(0, vp.getCurrentImageIdIndex() + delta)));
    },
    [engine, active],
  );

  useEffect(() => {
    if (!cine.playing || !engine) return;
    const timer = window.setInterval(() => {
      const vp = stackViewport(engine, active) ?? stackViewport(engine, MAIN);
      if (!vp) return;
      const n = vp.getImageIds().length;
      if (n > 1) vp.setImageIdIndex((vp.getCurrentImageIdIndex() + 1) % n);
    }, 1000 / cine.fps);
    return () => window.clearInterval(timer);
  }, [cine, engine, active]);

  // --------------------------------------------------------------- annotations: Cornerstone <-> Confer

  const addToCornerstone = useCallback(
    (a: SavedAnnotation): boolean => {
      const pane = [...paneElements.current.entries()].find(([, p]) => p.seriesUid === a.seriesUid);
      if (!pane || !engine) return false;
      const [viewportId, { element }] = pane;
      const imageId = imageIdOf(a.studyUid, a.seriesUid, a);
      const plane = metaData.get('imagePlaneModule', imageId) as
        | { frameOfReferenceUID?: string; rowCosines?: number[]; columnCosines?: number[] }
        | undefined;
      if (!plane) return false;
      const existing = csAnnotation.state.getAnnotation(a.id) as unknown as
        | CornerstoneAnnotationLike
        | undefined;
      const points = a.points.map((p) => utilities.imageToWorldCoords(imageId, [p[0], p[1]]) as Types.Point3);
      if (existing) {
        const imagePoints = existing.data.handles.points.map((p) => worldToImage(imageId, p));
        if (samePoints(imagePoints, a.points) && (existing.data.label ?? '') === a.label) return true;
        csAnnotation.state.removeAnnotation(a.id);
      }
      const camera = stackViewport(engine, viewportId)?.getCamera();
      const normal =
        plane.rowCosines && plane.columnCosines
          ? cross(
              plane.rowCosines as unknown as [number, number, number],
              plane.columnCosines as unknown as [number, number, number],
            )
          : (camera?.viewPlaneNormal ?? [0, 0, 1]);
      csAnnotation.state.addAnnotation(
        {
          annotationUID: a.id,
          highlighted: false,
          invalidated: true,
          isLocked: a.author.username !== user.username,
          isVisible: true,
          metadata: {
            toolName: CORNERSTONE_TOOL[a.tool],
            referencedImageId: imageId,
            FrameOfReferenceUID: plane.frameOfReferenceUID ?? '',
            viewPlaneNormal: [...normal] as Types.Point3,
            viewUp: (camera?.viewUp ?? [0, -1, 0]) as Types.Point3,
          },
          data: {
            label: a.label,
            handles: {
              points,
              activeHandleIndex: null,
              textBox: {
                hasMoved: false,
                worldPosition: [0, 0, 0],
                worldBoundingBox: {
                  topLeft: [0, 0, 0],
                  topRight: [0, 0, 0],
                  bottomLeft: [0, 0, 0],
                  bottomRight: [0, 0, 0],
                },
              },
            },
            cachedStats: {},
          },
        } as never,
        element,
      );
      return true;
    },
    [engine, user.username],
  );

  // Reconcile Cornerstone's annotations with the saved list whenever either side changes.
  // biome-ignore lint/correctness/useExhaustiveDependencies: panesReady (and the list) re-run it once a pane shows a new series
  useEffect(() => {
    if (!engine) return;
    const ids = new Set(annotations.map((a) => a.id));
    for (const a of csAnnotation.state.getAllAnnotations() as unknown as CornerstoneAnnotationLike[]) {
      if (a.annotationUID?.startsWith('A-') && !ids.has(a.annotationUID))
        csAnnotation.state.removeAnnotation(a.annotationUID);
    }
    for (const a of annotations) addToCornerstone(a);
    for (const id of [MAIN, PRIOR]) stackViewport(engine, id)?.render();
  }, [engine, annotations, addToCornerstone, panesReady]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: panesReady (and the list) re-run it once a pane shows a new series
  useEffect(() => {
    if (!selected) return;
    if (csAnnotation.state.getAnnotation(selected))
      csAnnotation.selection.setAnnotationSelected(selected, true);
  }, [selected, annotations, panesReady]);

  // New drawings are saved at once; edits to one's own, a moment after the last drag.
  useEffect(() => {
    if (!engine) return;
    const pending = new Map<string, number>();
    const onCompleted = (e: Event) => {
      const a = (e as CustomEvent<{ annotation: CornerstoneAnnotationLike }>).detail.annotation;
      if (!a.metadata.referencedImageId || a.annotationUID?.startsWith('A-')) return;
      const ref = imageRefOf(a.metadata.referencedImageId);
      if (!ref) return;
      const body = toNewAnnotation(a, ref, (p) => worldToImage(a.metadata.referencedImageId!, p));
      if (!body) return;
      if (!caseId) {
        setNotice('Measurements of a bare study are not saved: open the viewer from a case to keep them.');
        return;
      }
      if (ref.studyUid !== studyUid) {
        setNotice('Measurements on a prior are not saved: the prior is not part of this case.');
        return;
      }
      // The statistics cached at the end of a drag can predate the last handle move: have Cornerstone
      // recompute them on one more render of the pane, then read them.
      const pane = [...paneElements.current.entries()].find(([, p]) => p.seriesUid === ref.seriesUid);
      const live = () =>
        ((a.annotationUID && csAnnotation.state.getAnnotation(a.annotationUID)) ||
          a) as unknown as CornerstoneAnnotationLike & { invalidated?: boolean };
      live().invalidated = true;
      const rendered = annotationsRendered(pane?.[1].element);
      if (pane) stackViewport(engine, pane[0])?.render();
      rendered
        .then(() => {
          const now = live();
          const fresh =
            toNewAnnotation(now, ref, (p) => worldToImage(a.metadata.referencedImageId!, p)) ?? body;
          return viewerApi.createAnnotation(caseId, fresh);
        })
        .then(
          (saved) => {
            if (a.annotationUID) csAnnotation.state.removeAnnotation(a.annotationUID);
            caseAnnotations.upsert(saved);
            setSelected(saved.id);
            setNotice(`Saved: ${saved.summary} (${saved.where})`);
          },
          (error: unknown) => setNotice(`Not saved: ${toProblem(error).detail ?? toProblem(error).title}`),
        );
    };
    const onModified = (e: Event) => {
      const { annotation: a, changeType } = (
        e as CustomEvent<{ annotation: CornerstoneAnnotationLike; changeType?: string }>
      ).detail;
      const id = a.annotationUID;
      if (!caseId || !id?.startsWith('A-')) return;
      // Handles moved by the author, or statistics Cornerstone recomputed (a region's mean is the viewer's to
      // measure: when its figure differs from the saved one, the author's viewer stores the one on screen).
      if (
        changeType !== ToolEnums.ChangeTypes.HandlesUpdated &&
        changeType !== ToolEnums.ChangeTypes.LabelChange &&
        changeType !== ToolEnums.ChangeTypes.StatsUpdated
      )
        return;
      window.clearTimeout(pending.get(id));
      pending.set(
        id,
        window.setTimeout(() => {
          pending.delete(id);
          const saved = annotationsRef.current.find((x) => x.id === id);
          const imageId = a.metadata.referencedImageId;
          if (!saved || !imageId || saved.author.username !== user.username) return;
          const body = toNewAnnotation(a, imageRefOf(imageId)!, (p) => worldToImage(imageId, p));
          if (!body) return;
          const moved = !samePoints(body.points, saved.points);
          const restated = statisticsDiffer(saved.measurements, body.statistics);
          if (!moved && !restated) return;
          viewerApi
            .updateAnnotation(caseId, id, {
              version: saved.version,
              ...(moved ? { points: body.points } : {}),
              ...(body.statistics ? { statistics: body.statistics } : {}),
            })
            .then(
              (next) => {
                caseAnnotations.upsert(next);
                if (moved) setNotice(`Updated: ${next.summary}`);
              },
              (error: unknown) => {
                setNotice(`Not updated: ${toProblem(error).detail ?? toProblem(error).title}`);
                caseAnnotations.reload();
              },
            );
        }, 600),
      );
    };
    const { Events } = ToolEnums;
    eventTarget.addEventListener(Events.ANNOTATION_COMPLETED, onCompleted);
    eventTarget.addEventListener(Events.ANNOTATION_MODIFIED, onModified);
    return () => {
      eventTarget.removeEventListener(Events.ANNOTATION_COMPLETED, onCompleted);
      eventTarget.removeEventListener(Events.ANNOTATION_MODIFIED, onModified);
      for (const t of pending.values()) window.clearTimeout(t);
    };
  }, [engine, caseId, studyUid, caseAnnotations.upsert, caseAnnotations.reload, user.username]);

  const deleteAnnotation = useCallback(
    (a: SavedAnnotation) => {
      if (!caseId) return;
      viewerApi.deleteAnnotation(caseId, a.id, a.version).then(
        () => {
          caseAnnotations.removeLocal(a.id);
          setNotice(`Deleted: ${a.summary}`);
        },
        (error: unknown) => setNotice(`Not deleted: ${toProblem(error).detail ?? toProblem(error).title}`),
      );
    },
    [caseId, caseAnnotations.removeLocal],
  );

  const relabel = useCallback(
    (a: SavedAnnotation, label: string) => {
      if (!caseId || label === a.label) return;
      viewerApi.updateAnnotation(caseId, a.id, { version: a.version, label }).then(
        (next) => caseAnnotations.upsert(next),
        (error: unknown) => {
          setNotice(`Label not saved: ${toProblem(error).detail ?? toProblem(error).title}`);
          caseAnnotations.reload();
        },
      );
    },
    [caseId, caseAnnotations.upsert, caseAnnotations.reload],
  );

  const goTo = useCallback(
    (a: SavedAnnotation) => {
      setSelected(a.id);
      focusDone.current = false;
      if (mainSeries !== a.seriesUid) {
        setMainSeries(a.seriesUid);
        return;
      }
      const index = mainStack?.geometry.slices.findIndex(
        (s) => s.sopInstanceUid === a.sopInstanceUid && s.frameNumber === a.frameNumber,
      );
      if (engine && index !== undefined && index >= 0) stackViewport(engine, MAIN)?.setImageIdIndex(index);
    },
    [engine, mainSeries, mainStack],
  );
  // Clicking an annotation in the list also reuses the deep-link effect when the series must change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: panesReady (and the list) re-run it once a pane shows a new series
  useEffect(() => {
    if (!selected || focusDone.current) return;
    const a = annotations.find((x) => x.id === selected);
    if (!a || !mainStack || mainStack.seriesUid !== a.seriesUid || !engine) return;
    if (paneElements.current.get(MAIN)?.seriesUid !== a.seriesUid) return;
    const index = mainStack.geometry.slices.findIndex(
      (s) => s.sopInstanceUid === a.sopInstanceUid && s.frameNumber === a.frameNumber,
    );
    if (index >= 0) {
      focusDone.current = true;
      stackViewport(engine, MAIN)?.setImageIdIndex(index);
    }
  }, [selected, annotations, mainStack, engine, panesReady]);

  const exportSr = useCallback(() => {
    if (!caseId) return;
    setExported(null);
    viewerApi.exportSr(caseId).then(
      (out) => {
        setExported(out);
        setSeriesVersion((n) => n + 1);
        setNotice(
          `Exported ${out.exported.length} measurement${out.exported.length === 1 ? '' : 's'} as a DICOM SR series.` +
            (out.notMapped.length
              ? ` Not exported: ${out.notMapped.map((n) => `${n.tool} (${n.reason})`).join('; ')}.`
              : ''),
        );
      },
      (error: unknown) => setNotice(`Not exported: ${toProblem(error).detail ?? toProblem(error).title}`),
    );
  }, [caseId]);

  const downloadSr = useCallback(() => {
    if (!exported) return;
    viewerApi.instanceFile(exported.retrieveUrl).then(
      (blob) => {
        const url = URL.createObjectURL(blob);
        const link = document.createElement('a');
        link.href = url;
        link.download = `measurements-${exported.sopInstanceUid}.dcm`;
        link.click();
        window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
      },
      (error: unknown) => setNotice(`Download failed: ${toProblem(error).title}`),
    );
  }, [exported]);

  const openPrior = useCallback(
    (priorStudyUid: string) => {
      viewerApi.series(priorStudyUid).then(
        (rows) => {
          const list = seriesSummaries(rows, priorStudyUid);
          const current = series?.find((s) => s.seriesUid === mainSeries);
          const match = matchingSeries(list, current);
          if (!match) {
            setNotice('That study has no images to show.');
            return;
          }
          setPrior({ studyUid: priorStudyUid, series: list, seriesUid: match.seriesUid });
        },
        (error: unknown) => setProblem(toProblem(error)),
      );
    },
    [series, mainSeries],
  );

  // Keys work anywhere in the viewer except while typing a label.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (
        t &&
        (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)
      )
        return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const key = e.key;
      const step: Record<string, number> = {
        ArrowDown: 1,
        ArrowRight: 1,
        PageDown: 10,
        ArrowUp: -1,
        ArrowLeft: -1,
        PageUp: -10,
      };
      if (step[key] !== undefined) {
        scrollBy(step[key]);
        e.preventDefault();
        return;
      }
      if (key === 'Home' || key === 'End') {
        scrollBy(key === 'Home' ? -1e6 : 1e6);
        e.preventDefault();
        return;
      }
      const preset = presets.find((p) => p.key === key);
      if (preset) return applyPreset(preset);
      const t2 = TOOLS.find((x) => x.key === key.toLowerCase());
      if (t2) return setTool(t2.tool);
      if (key === ' ') {
        setCine((c) => ({ ...c, playing: !c.playing }));
        e.preventDefault();
        return;
      }
      if (key === 'Escape') return reset();
      if (key === 's' && prior) return setSync((v) => !v);
      if ((key === 'Delete' || key === 'Backspace') && selected) {
        const a = annotations.find((x) => x.id === selected);
        if (a && a.author.username === user.username) deleteAnnotation(a);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [scrollBy, presets, applyPreset, reset, prior, selected, annotations, user.username, deleteAnnotation]);

  // --------------------------------------------------------------- render

  if (initProblem) return <ErrorNotice problem={initProblem} />;
  const mainSummary = series?.find((s) => s.seriesUid === mainSeries);
  const priorSummary = prior?.series.find((s) => s.seriesUid === prior.seriesUid);
  const priorStudy = priors?.find((p) => dicomString(p, '0020000D') === prior?.studyUid);
  const title = (s: SeriesSummary | undefined, label: string, date?: string) =>
    `${label}${date ? ` ${formatDate(date)}` : ''} · ${s?.modality ?? ''} ${s?.description ?? ''} · series ${s?.number ?? '?'}`;
  const paneReady = (viewportId: string, seriesUid: string) => (element: HTMLDivElement) => {
    paneElements.current.set(viewportId, { element, seriesUid });
    setPanesReady((n) => n + 1);
  };

  return (
    <div className="viewer" data-testid="viewer" data-study-uid={studyUid}>
      <div className="viewer-toolbar" role="toolbar" aria-label="Viewer tools">
        <fieldset className="viewer-tool-group">
          <legend className="visually-hidden">Mouse tool</legend>
          {TOOLS.map((t) => (
            <button
              key={t.tool}
              type="button"
              className={`button button-chip${tool === t.tool ? ' is-pressed' : ''}`}
              aria-pressed={tool === t.tool}
              title={`${t.label} (${t.key})`}
              onClick={() => setTool(t.tool)}
            >
              {t.label}
            </button>
          ))}
        </fieldset>
        <fieldset className="viewer-tool-group">
          <legend className="visually-hidden">Window presets</legend>
          {presets.map((p) => (
            <button
              key={p.id}
              type="button"
              className="button button-chip"
              title={`W ${p.width} L ${p.center} (${p.key})`}
              onClick={() => applyPreset(p)}
            >
              {p.label}
            </button>
          ))}
        </fieldset>
        <fieldset className="viewer-tool-group">
          <legend className="visually-hidden">Cine</legend>
          <button
            type="button"
            className="button button-chip"
            aria-pressed={cine.playing}
            onClick={() => setCine((c) => ({ ...c, playing: !c.playing }))}
            title="Play or stop (space)"
          >
            {cine.playing ? 'Stop' : 'Play'}
          </button>
          <label className="viewer-fps">
            <input
              type="number"
              min={1}
              max={60}
              value={cine.fps}
              onChange={(e) =>
                setCine((c) => ({ ...c, fps: Math.min(60, Math.max(1, Number(e.target.value) || 1)) }))
              }
            />{' '}
            fps
          </label>
        </fieldset>
        <button
          type="button"
          className="button button-chip"
          onClick={reset}
          title="Reset window, zoom and pan (Esc)"
        >
          Reset
        </button>
        {prior ? (
          <label className="viewer-sync" title="Scroll the current study and the prior together (s)">
            <input type="checkbox" checked={sync} onChange={(e) => setSync(e.target.checked)} /> Sync scroll
            {syncMode ? (
              <span className="muted"> ({syncMode === SyncMode.Position ? 'by position' : 'by index'})</span>
            ) : null}
          </label>
        ) : null}
        {caseId && canWrite ? (
          <button type="button" className="button button-secondary" onClick={exportSr}>
            Export SR
          </button>
        ) : null}
        {exported ? (
          <button type="button" className="button button-quiet" onClick={downloadSr}>
            Download SR
          </button>
        ) : null}
      </div>
      {notice ? (
        <p className="viewer-notice" role="status">
          {notice}
        </p>
      ) : null}
      {problem ? <ErrorNotice problem={problem} /> : null}
      <div className="viewer-body">
        <aside className="viewer-sidebar" aria-label="Series, priors and measurements">
          {caseId ? (
            <p>
              <a href={caseHref(caseId)}>Back to case {caseId}</a>
            </p>
          ) : null}
          <h2 className="viewer-heading">Series</h2>
          {series ? (
            <SeriesList
              series={series}
              selected={mainSeries}
              onSelect={(uid) => {
                setMainSeries(uid);
                setActive(MAIN);
              }}
            />
          ) : (
            <p className="muted">Loading series…</p>
          )}
          <h2 className="viewer-heading">Priors</h2>
          {priors === null ? (
            <p className="muted">Looking for the patient's other studies…</p>
          ) : priors.length === 0 ? (
            <p className="muted">No other studies of this patient.</p>
          ) : (
            <ul className="viewer-list" data-testid="priors">
              {priors.map((p) => {
                const uid = dicomString(p, '0020000D');
                const open = prior?.studyUid === uid;
                return (
                  <li key={uid}>
                    <span>
                      {formatDate(dicomString(p, '00080020'))} · {p['00080061']?.Value?.join('/') ?? ''}{' '}
                      {dicomString(p, '00081030')}
                    </span>
                    <button
                      type="button"
                      className="button button-quiet"
                      onClick={() => (open ? setPrior(null) : openPrior(uid))}
                    >
                      {open ? 'Close' : 'Compare'}
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
          {prior ? (
            <label className="field">
              <span>Prior series</span>
              <select
                value={prior.seriesUid}
                onChange={(e) => setPrior({ ...prior, seriesUid: e.target.value })}
              >
                {prior.series.map((s) => (
                  <option key={s.seriesUid} value={s.seriesUid}>
                    {s.number ?? '?'} · {s.modality} {s.description} ({s.instances})
                  </option>
                ))}
              </select>
            </label>
          ) : null}
          <h2 className="viewer-heading">Measurements</h2>
          {caseId ? (
            <AnnotationList
              annotations={annotations}
              selected={selected}
              username={user.username}
              onSelect={goTo}
              onDelete={deleteAnnotation}
              onRelabel={relabel}
            />
          ) : (
            <p className="muted">
              Measurements are saved per case: open the viewer from a case to keep them.
            </p>
          )}
          {caseAnnotations.problem ? <ErrorNotice problem={caseAnnotations.problem} /> : null}
        </aside>
        <div className={`viewer-panes${prior ? ' is-split' : ''}`}>
          {engine && mainStack ? (
            <ViewerPane
              key={`${MAIN}/${mainStack.seriesUid}`}
              engine={engine}
              viewportId={MAIN}
              title={title(mainSummary, 'Current', dicomString(study ?? undefined, '00080020'))}
              imageIds={mainStack.imageIds}
              initialIndex={Math.floor(mainStack.imageIds.length / 2)}
              active={active === MAIN}
              image={images[MAIN]}
              onActivate={() => setActive(MAIN)}
              onImage={(i) => onImage(MAIN, i)}
              onReady={paneReady(MAIN, mainStack.seriesUid)}
            />
          ) : (
            <PaneStatus
              state={mainState.status}
              problem={mainState.status === 'failed' ? mainState.problem : null}
            />
          )}
          {prior ? (
            engine && priorStack ? (
              <ViewerPane
                key={`${PRIOR}/${priorStack.seriesUid}`}
                engine={engine}
                viewportId={PRIOR}
                title={title(priorSummary, 'Prior', dicomString(priorStudy, '00080020'))}
                imageIds={priorStack.imageIds}
                initialIndex={
                  mainStack && syncMode && images[MAIN]
                    ? mapSliceIndex(syncMode, mainStack.geometry, priorStack.geometry, images[MAIN].index)
                    : Math.floor(priorStack.imageIds.length / 2)
                }
                active={active === PRIOR}
                image={images[PRIOR]}
                onActivate={() => setActive(PRIOR)}
                onImage={(i) => onImage(PRIOR, i)}
                onReady={paneReady(PRIOR, priorStack.seriesUid)}
              />
            ) : (
              <PaneStatus
                state={priorState.status}
                problem={priorState.status === 'failed' ? priorState.problem : null}
              />
            )
          ) : null}
        </div>
      </div>
      <p className="hint viewer-keys">
        Keys: ↑/↓ scroll, PgUp/PgDn by 10, Home/End, number keys window presets, W/P/Z window, pan, zoom,
        L/A/E/R length, angle, ellipse, rectangle, space cine, Esc reset, S sync, Delete removes your selected
        measurement. Wheel scrolls, right drag zooms, middle drag pans.
      </p>
    </div>
  );
}

/** Resolves once Cornerstone has drawn the pane's annotations again (or after half a second without). */
function annotationsRendered(element: HTMLElement | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!element) return resolve();
    const done = () => {
      element.removeEventListener(ToolEnums.Events.ANNOTATION_RENDERED, done);
      window.clearTimeout(timer);
      resolve();
    };
    const timer = window.setTimeout(done, 500);
    element.addEventListener(ToolEnums.Events.ANNOTATION_RENDERED, done);
  });
}

function PaneStatus({ state, problem }: { state: string; problem: Problem | null }) {
  if (problem) return <ErrorNotice problem={problem} />;
  return (
    <div className="viewer-pane viewer-pane-empty">
      <p className="muted">{state === 'idle' ? 'Choose a series.' : 'Loading images…'}</p>
    </div>
  );
}

function formatDate(d: string): string {
  return /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : d;
}

const STAT_NAMES: Record<string, string> = { mean: 'mean', stdDev: 'SD', min: 'min', max: 'max' };

function AnnotationList(props: {
  annotations: SavedAnnotation[];
  selected: string | null;
  username: string;
  onSelect(a: SavedAnnotation): void;
  onDelete(a: SavedAnnotation): void;
  onRelabel(a: SavedAnnotation, label: string): void;
}) {
  if (props.annotations.length === 0)
    return (
      <p className="muted">None yet. Choose Length, Angle, Ellipse or Rectangle and draw on the image.</p>
    );
  return (
    <ul className="viewer-list viewer-annotations" data-testid="annotations">
      {props.annotations.map((a) => {
        const mine = a.author.username === props.username;
        return (
          <li
            key={a.id}
            className={a.id === props.selected ? 'is-selected' : undefined}
            data-annotation-id={a.id}
          >
            <button
              type="button"
              className="button button-quiet viewer-annotation-main"
              onClick={() => props.onSelect(a)}
            >
              <strong>{a.summary}</strong>
              {a.measurements.slice(1).map((m) => (
                <span key={m.name} className="muted">
                  {' '}
                  · {STAT_NAMES[m.name] ?? m.name} {m.text}
                </span>
              ))}
              <br />
              <span className="muted">
                {a.label ? `${a.label} · ` : ''}
                {a.where} · {a.author.name}
              </span>
            </button>
            {mine ? (
              <span className="viewer-annotation-actions">
                <input
                  aria-label={`Label of ${a.summary}`}
                  defaultValue={a.label}
                  placeholder="Label"
                  maxLength={200}
                  onBlur={(e) => props.onRelabel(a, e.target.value.trim())}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') (e.target as HTMLInputElement).blur();
                  }}
                />
                <button type="button" className="button button-quiet" onClick={() => props.onDelete(a)}>
                  Delete
                </button>
              </span>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}
