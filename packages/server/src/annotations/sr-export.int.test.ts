import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { dcmtkSkipReason, runDcmtk } from '../../test/support/dcmtk.ts';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, startWorklistBed } from '../../test/support/worklist.ts';

const hasDciodvfy = spawnSync('dciodvfy', [], { encoding: 'utf8' }).error === undefined;

for (const sc of await storeCases()) {
  test(`SR export on ${sc.name}: a TID 1500 report stored as a new series, read back by dcmtk`, {
    skip: sc.skip ?? dcmtkSkipReason(),
  }, async () => {
    const env = await sc.open();
    const bed = await startWorklistBed(env);
    const dir = await mkdtemp(join(tmpdir(), 'confer-sr-'));
    try {
      const { app } = bed.confer;
      const caseId = await bed.newCase({ site: HUB, protocol: 'ct-head' });
      const study = (await bed.confer.worklist.row(caseId))!.study_uid;
      const img = await bed.confer.store.db
        .selectFrom('instances as i')
        .innerJoin('series as se', 'se.id', 'i.series_fk')
        .select(['i.sop_instance_uid', 'se.series_uid'])
        .where('i.sop_class_uid', '!=', '1.2.840.10008.5.1.4.1.1.88.33')
        .orderBy('i.instance_number')
        .executeTakeFirstOrThrow();
      const ada = await bed.token('ada', ['radiologist']);
      const rita = await bed.token('rita', ['referrer']);
      const url = `/api/cases/${caseId}/annotations`;
      const base = { studyUid: study, seriesUid: img.series_uid, sopInstanceUid: img.sop_instance_uid };

      // Nothing to export yet: 409 that says what to do.
      const empty = await app.inject({ method: 'POST', url: `${url}/sr`, headers: bearer(ada) });
      assert.equal(empty.statusCode, 409);
      assert.equal(empty.json().code, 'CONFER_ERR_ANNOTATION_NOTHING_TO_EXPORT');

      const save = async (payload: object) => {
        const r = await app.inject({
          method: 'POST',
          url,
          headers: bearer(ada),
          payload: { ...base, ...payload },
        });
        assert.equal(r.statusCode, 201, r.body);
        return r.json().annotation.id as string;
      };
      const length = await save({
        tool: 'length',
        label: 'Midline shift',
        points: [
          [10, 20],
          [40, 60],
        ],
      });
      const ellipse = await save({
        tool: 'ellipse',
        label: 'Haematoma',
        points: [
          [20, 30],
          [20, 10],
          [10, 20],
          [30, 20],
        ],
        statistics: { mean: 61.2, stdDev: 4.5, unit: 'HU' },
      });
      const rect = await save({
        tool: 'rectangle',
        points: [
          [5, 5],
          [25, 5],
          [5, 15],
          [25, 15],
        ],
      });
      const angle = await save({
        tool: 'angle',
        points: [
          [10, 0],
          [0, 0],
          [0, 10],
        ],
      });

      assert.equal(
        (await app.inject({ method: 'POST', url: `${url}/sr`, headers: bearer(rita) })).statusCode,
        403,
      );
      const exported = await app.inject({ method: 'POST', url: `${url}/sr`, headers: bearer(ada) });
      assert.equal(exported.statusCode, 201, exported.body);
      const out = exported.json();
      assert.deepEqual(out.exported, [length, ellipse, rect]);
      assert.equal(out.notMapped.length, 1);
      assert.equal(out.notMapped[0].id, angle);
      assert.match(out.notMapped[0].reason, /angle/);
      assert.equal(out.studyUid, study);

      // It is a new series of the study over QIDO-RS, and retrievable over WADO-RS.
      const series = await app.inject({
        method: 'GET',
        url: `/dicomweb/studies/${study}/series?Modality=SR`,
        headers: bearer(ada),
      });
      assert.equal(series.statusCode, 200);
      assert.deepEqual(
        series.json().map((s: Record<string, { Value: string[] }>) => s['0020000E']!.Value[0]),
        [out.seriesUid],
      );
      const file = await app.inject({
        method: 'GET',
        url: out.retrieveUrl,
        headers: { ...bearer(ada), accept: 'application/dicom' },
      });
      assert.equal(file.statusCode, 200);
      const path = join(dir, 'sr.dcm');
      await writeFile(path, file.rawPayload);
      if (process.env.CONFER_KEEP_SR) await writeFile(process.env.CONFER_KEEP_SR, file.rawPayload);

      const dump = await runDcmtk('dsrdump', ['+Pt', '+Pc', path]);
      assert.equal(dump.code, 0, dump.stderr);
      assert.doesNotMatch(dump.stderr, /error/i, dump.stderr);
      assert.match(dump.stdout, /Comprehensive SR Document/);
      assert.match(dump.stdout, /Imaging Measurement Report/);
      assert.match(dump.stdout, /Length/);
      assert.match(dump.stdout, /"Midline shift"/);
      assert.match(dump.stdout, /Area/);
      assert.match(dump.stdout, /ELLIPSE/);
      assert.match(dump.stdout, /Hounsfield unit|hnsf/);
      assert.match(dump.stdout, /1500/);

      if (hasDciodvfy) {
        // dciodvfy writes its findings to stderr; "Error" lines are IOD violations, warnings are allowed.
        const v = spawnSync('dciodvfy', [path], { encoding: 'utf8' });
        const errors = `${v.stdout}\n${v.stderr}`.split('\n').filter((l) => /^Error/.test(l));
        assert.deepEqual(errors, [], `${v.stdout}\n${v.stderr}`);
      } else {
        const d = await runDcmtk('dcmdump', ['-E', path]);
        assert.equal(d.code, 0, d.stderr);
      }

      const audit = await bed.confer.store.db
        .selectFrom('audit_events')
        .select(['outcome'])
        .where('action', '=', 'annotations-sr-export')
        .orderBy('id')
        .execute();
      assert.deepEqual(
        audit.map((a) => a.outcome),
        ['denied', 'success'],
      );
    } finally {
      await bed.close();
      await env.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
}
