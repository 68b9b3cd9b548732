// Cornerstone3D, set up once per page: the rendering core, the DICOM image loader reading Confer's WADO-RS
// (its codecs are WebAssembly files that the build copies to /codecs/), and the tools the viewer offers.

import {
  Enums as CoreEnums,
  init as coreInit,
  eventTarget,
  imageLoader,
  metaData,
  RenderingEngine,
  setUseCPURendering,
  utilities,
} from '@cornerstonejs/core';
import { init as loaderInit, wadors } from '@cornerstonejs/dicom-image-loader';
import {
  AngleTool,
  addTool,
  annotation,
  EllipticalROITool,
  LengthTool,
  PanTool,
  RectangleROITool,
  StackScrollTool,
  Enums as ToolEnums,
  ToolGroupManager,
  init as toolsInit,
  WindowLevelTool,
  ZoomTool,
} from '@cornerstonejs/tools';
import type { StackSlice } from './stack-geometry.ts';

export { annotation, CoreEnums, eventTarget, imageLoader, metaData, RenderingEngine, ToolEnums, utilities };

/** World to image coordinates (column, row) on an image; NaN when the image's plane is unknown. */
export function worldToImage(imageId: string, p: readonly number[]): [number, number] {
  const out = utilities.worldToImageCoords(imageId, [p[0]!, p[1]!, p[2]!]);
  return out ? [out[0], out[1]] : [Number.NaN, Number.NaN];
}

/** The study, series, instance and frame an image id names. */
export function imageRefOf(imageId: string) {
  const m = /\/studies\/([^/]+)\/series\/([^/]+)\/instances\/([^/]+)\/frames\/(\d+)$/.exec(imageId);
  return m
    ? { studyUid: m[1]!, seriesUid: m[2]!, sopInstanceUid: m[3]!, frameNumber: Number(m[4]) }
    : undefined;
}

/** The viewer's mouse tools; the primary button runs the active one. */
export const ViewerTool = {
  WindowLevel: WindowLevelTool.toolName,
  Pan: PanTool.toolName,
  Zoom: ZoomTool.toolName,
  Length: LengthTool.toolName,
  Angle: AngleTool.toolName,
  Ellipse: EllipticalROITool.toolName,
  Rectangle: RectangleROITool.toolName,
} as const;
export type ViewerTool = (typeof ViewerTool)[keyof typeof ViewerTool];

export const MEASURE_TOOLS: readonly string[] = [
  ViewerTool.Length,
  ViewerTool.Angle,
  ViewerTool.Ellipse,
  ViewerTool.Rectangle,
];

let ready: Promise<void> | undefined;

function webGl2Available(): boolean {
  try {
    return document.createElement('canvas').getContext('webgl2') !== null;
  } catch {
    return false;
  }
}

/** Initialises Cornerstone once; every viewer waits on the same promise. */
export function initCornerstone(): Promise<void> {
  ready ??= (async () => {
    coreInit();
    // Headless browsers and remote desktops without a GPU still get images, drawn on the CPU.
    if (!webGl2Available()) setUseCPURendering(true);
    loaderInit({
      maxWebWorkers: Math.max(1, Math.min(2, navigator.hardwareConcurrency || 1)),
      wasmBasePath: new URL('codecs/', document.baseURI).pathname,
    });
    toolsInit();
    for (const tool of [
      WindowLevelTool,
      PanTool,
      ZoomTool,
      StackScrollTool,
      LengthTool,
      AngleTool,
      EllipticalROITool,
      RectangleROITool,
    ])
      addTool(tool);
  })();
  return ready;
}

/**
 * The image id of one slice: WADO-RS frames on the same origin. The loader asks for
 * `multipart/related; type=application/octet-stream; transfer-syntax=*`, which Confer answers with each
 * frame in its stored syntax, compressed or not.
 */
export function imageIdOf(
  studyUid: string,
  seriesUid: string,
  slice: Pick<StackSlice, 'sopInstanceUid' | 'frameNumber'>,
) {
  const base = `${window.location.origin}/dicomweb/studies/${studyUid}/series/${seriesUid}/instances/${slice.sopInstanceUid}`;
  return `wadors:${base}/frames/${slice.frameNumber}`;
}

/** Hands the instance metadata to the loader so it needs no extra request per image. */
export function registerSlices(studyUid: string, seriesUid: string, slices: readonly StackSlice[]): string[] {
  return slices.map((s) => {
    const id = imageIdOf(studyUid, seriesUid, s);
    wadors.metaDataManager.add(id, s.metadata as never);
    return id;
  });
}

/** A tool group per viewport: scrolling on the wheel, the active tool on the primary button, pan and zoom on the others. */
export function createToolGroup(id: string, viewportId: string, renderingEngineId: string) {
  ToolGroupManager.destroyToolGroup(id);
  const group = ToolGroupManager.createToolGroup(id);
  if (!group) throw new Error(`could not create tool group ${id}`);
  for (const name of [
    WindowLevelTool.toolName,
    PanTool.toolName,
    ZoomTool.toolName,
    StackScrollTool.toolName,
    ...MEASURE_TOOLS,
  ])
    group.addTool(name);
  group.addViewport(viewportId, renderingEngineId);
  const { MouseBindings } = ToolEnums;
  group.setToolActive(StackScrollTool.toolName, { bindings: [{ mouseButton: MouseBindings.Wheel }] });
  group.setToolActive(PanTool.toolName, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
  group.setToolActive(ZoomTool.toolName, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
  group.setToolActive(WindowLevelTool.toolName, { bindings: [{ mouseButton: MouseBindings.Primary }] });
  for (const m of MEASURE_TOOLS) group.setToolPassive(m);
  return group;
}

/** Makes `tool` the primary-button tool of the group; measurement tools stay editable when passive. */
export function setPrimaryTool(groupId: string, tool: string): void {
  const group = ToolGroupManager.getToolGroup(groupId);
  if (!group) return;
  const { MouseBindings } = ToolEnums;
  const current = group.getActivePrimaryMouseButtonTool();
  if (current === tool) return;
  if (current) {
    if (MEASURE_TOOLS.includes(current)) group.setToolPassive(current);
    else if (current === PanTool.toolName)
      group.setToolActive(current, { bindings: [{ mouseButton: MouseBindings.Auxiliary }] });
    else if (current === ZoomTool.toolName)
      group.setToolActive(current, { bindings: [{ mouseButton: MouseBindings.Secondary }] });
    else group.setToolPassive(current);
  }
  group.setToolActive(tool, { bindings: [{ mouseButton: MouseBindings.Primary }] });
}
