import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SyntheticInstance, SyntheticStudy } from './study.ts';

export interface WrittenStudy {
  studyUid: string;
  files: string[];
  bytes: number;
}

/**
 * Writes a study's instances as Part 10 files under `dir`/<StudyInstanceUID>/<SeriesInstanceUID>/
 * <SOPInstanceUID>.dcm, one at a time, so a 500-slice CT never sits in memory whole. UIDs make the paths
 * unique across studies and runs; `storescu +sd +r dir` sends the lot.
 */
export async function writeStudyToDir(
  study: SyntheticStudy | Iterable<SyntheticInstance>,
  dir: string,
): Promise<WrittenStudy> {
  const instances = 'instances' in study ? study.instances() : study;
  const files: string[] = [];
  let bytes = 0;
  let studyUid = 'studyUid' in study ? study.studyUid : '';
  const made = new Set<string>();
  for (const instance of instances) {
    studyUid = instance.studyUid;
    const seriesDir = join(dir, instance.studyUid, instance.seriesUid);
    if (!made.has(seriesDir)) {
      await mkdir(seriesDir, { recursive: true });
      made.add(seriesDir);
    }
    const file = join(seriesDir, `${instance.sopInstanceUid}.dcm`);
    await writeFile(file, instance.part10);
    files.push(file);
    bytes += instance.part10.byteLength;
  }
  return { studyUid, files, bytes };
}
