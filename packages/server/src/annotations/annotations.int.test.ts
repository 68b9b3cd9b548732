import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, SPOKE, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';

/** The first image of a case's study, as the viewer names it when it saves. */
async function firstImage(bed: WorklistBed, caseId: string) {
  const study = (await bed.confer.worklist.row(caseId))!.study_uid;
  const r = await bed.confer.store.db
    .selectFrom('instances as i')
    .innerJoin('series as se', 'se.id', 'i.series_fk')
    .innerJoin('studies as st', 'st.id', 'se.study_fk')
    .select([
      'i.sop_instance_uid',
      'se.series_uid',
      'se.series_number',
      'i.instance_number',
      'i.metadata_json',
    ])
    .where('st.study_uid', '=', study)
    .orderBy('i.instance_number')
    .executeTakeFirstOrThrow();
  return {
    studyUid: study,
    seriesUid: r.series_uid,
    sopInstanceUid: r.sop_instance_uid,
    seriesNumber: r.series_number,
    instanceNumber: r.instance_number,
    spacing: (JSON.parse(r.metadata_json)['00280030']?.Value as number[] | undefined) ?? undefined,
  };
}

async function auditActions(bed: WorklistBed, action: string) {
  return bed.confer.store.db
    .selectFrom('audit_events')
    .select(['actor_name', 'outcome', 'detail'])
    .where('action', '=', action)
    .orderBy('id')
    .execute()
    .then((rows) => rows.map((r) => ({ ...r, actor_name: r.actor_name.split('/')[0]! })));
}

for (const sc of await storeCases()) {
  test(`annotations on ${sc.name}: saved per case, role-checked, versioned, audited`, {
    skip: sc.skip,
  }, async () => {
    const env = await sc.open();
    const bed = await startWorklistBed(env);
    try {
      const { app } = bed.confer;
      const caseId = await bed.newCase({ site: HUB, protocol: 'ct-head' });
      const image = await firstImage(bed, caseId);
      const ada = await bed.token('ada', ['radiologist']);
      const ben = await bed.token('ben', ['radiologist']);
      const rita = await bed.token('rita', ['referrer']);
      const olive = await bed.token('olive', ['coordinator']);
      const url = `/api/cases/${caseId}/annotations`;
      const body = {
        studyUid: image.studyUid,
        seriesUid: image.seriesUid,
        sopInstanceUid: image.sopInstanceUid,
        tool: 'length',
        label: 'Midline shift',
        points: [
          [10, 20],
          [40, 60],
        ],
      };

      // Anonymous: 401. A referrer: 403 on write. A coordinator sees the case but may not save.
      assert.equal((await app.inject({ method: 'GET', url })).statusCode, 401);
      assert.equal((await app.inject({ method: 'POST', url, payload: body })).statusCode, 401);
      const refused = await app.inject({ method: 'POST', url, payload: body, headers: bearer(rita) });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().code, 'CONFER_ERR_FORBIDDEN');
      assert.equal(
        (await app.inject({ method: 'POST', url, payload: body, headers: bearer(olive) })).statusCode,
        403,
      );

      // A reader of the case saves; the server measures from the geometry and the image's spacing.
      const created = await app.inject({ method: 'POST', url, payload: body, headers: bearer(ada) });
      assert.equal(created.statusCode, 201, created.body);
      const a = created.json().annotation;
      assert.match(a.id, /^A-[0-9A-F]{12}$/);
      assert.equal(a.tool, 'length');
      assert.equal(a.label, 'Midline shift');
      assert.equal(a.version, 1);
      assert.equal(a.author.username, 'ada');
      assert.equal(a.where, `series ${image.seriesNumber}, image ${image.instanceNumber}`);
      assert.equal(a.link, `#/cases/${caseId}/viewer?annotation=${a.id}`);
      const [rowSp, colSp] = image.spacing ?? [1, 1];
      const expected = Math.round(Math.hypot(30 * colSp!, 40 * rowSp!) * 100) / 100;
      assert.deepEqual(a.measurements[0], {
        name: 'length',
        value: expected,
        unit: image.spacing ? 'mm' : 'px',
        text: `${expected.toFixed(1)} ${image.spacing ? 'mm' : 'px'}`,
      });

      // A region carries the viewer's pixel statistics next to the server's area.
      bed.clock.advance(1000);
      const roi = await app.inject({
        method: 'POST',
        url,
        headers: bearer(ada),
        payload: {
          ...body,
          tool: 'ellipse',
          label: 'Haematoma',
          points: [
            [20, 30],
            [20, 10],
            [10, 20],
            [30, 20],
          ],
          statistics: { mean: 61.234, stdDev: 4.5, unit: 'HU' },
        },
      });
      assert.equal(roi.statusCode, 201, roi.body);
      assert.deepEqual(
        roi.json().annotation.measurements.map((m: { name: string; unit: string }) => [m.name, m.unit]),
        [
          ['area', image.spacing ? 'mm2' : 'px2'],
          ['mean', 'HU'],
          ['stdDev', 'HU'],
        ],
      );

      // Bad input is refused with the reason.
      const bad = await app.inject({
        method: 'POST',
        url,
        headers: bearer(ada),
        payload: { ...body, points: [[1, 2]] },
      });
      assert.equal(bad.statusCode, 400);
      const foreign = await app.inject({
        method: 'POST',
        url,
        headers: bearer(ada),
        payload: { ...body, sopInstanceUid: '1.2.3.4' },
      });
      assert.equal(foreign.statusCode, 422);
      assert.equal(foreign.json().code, 'CONFER_ERR_ANNOTATION_IMAGE_NOT_IN_CASE');

      // Collaborators see it; the coordinator too.
      const seen = await app.inject({ method: 'GET', url, headers: bearer(ben) });
      assert.equal(seen.statusCode, 200);
      assert.deepEqual(
        seen.json().annotations.map((x: { id: string }) => x.id),
        [a.id, roi.json().annotation.id],
      );
      assert.equal((await app.inject({ method: 'GET', url, headers: bearer(olive) })).statusCode, 200);

      // Only the author edits; a stale version is a conflict that names the current one.
      const notMine = await app.inject({
        method: 'PUT',
        url: `${url}/${a.id}`,
        headers: bearer(ben),
        payload: { version: 1, label: 'mine now' },
      });
      assert.equal(notMine.statusCode, 403);
      assert.equal(notMine.json().code, 'CONFER_ERR_ANNOTATION_NOT_AUTHOR');
      const edited = await app.inject({
        method: 'PUT',
        url: `${url}/${a.id}`,
        headers: bearer(ada),
        payload: {
          version: 1,
          label: 'Shift',
          points: [
            [10, 20],
            [10, 30],
          ],
        },
      });
      assert.equal(edited.statusCode, 200, edited.body);
      assert.equal(edited.json().annotation.version, 2);
      assert.equal(edited.json().annotation.measurements[0].value, Math.round(10 * rowSp! * 100) / 100);
      const stale = await app.inject({
        method: 'PUT',
        url: `${url}/${a.id}`,
        headers: bearer(ada),
        payload: { version: 1, label: 'late' },
      });
      assert.equal(stale.statusCode, 409);
      assert.equal(stale.json().code, 'CONFER_ERR_ANNOTATION_VERSION_CONFLICT');
      assert.equal(stale.json().currentVersion, 2);
      assert.equal(
        (await app.inject({ method: 'DELETE', url: `${url}/${a.id}?version=1`, headers: bearer(ada) }))
          .statusCode,
        409,
      );
      assert.equal(
        (await app.inject({ method: 'DELETE', url: `${url}/${a.id}?version=2`, headers: bearer(ada) }))
          .statusCode,
        204,
      );
      assert.equal(
        (await app.inject({ method: 'DELETE', url: `${url}/${a.id}`, headers: bearer(ada) })).statusCode,
        404,
      );

      // A reader who cannot see the case (Ada holds no New York licence) gets 403 on read and write.
      const spokeCase = await bed.newCase({ site: SPOKE, protocol: 'ct-head' });
      const spokeImage = await firstImage(bed, spokeCase);
      const hidden = `/api/cases/${spokeCase}/annotations`;
      assert.equal((await app.inject({ method: 'GET', url: hidden, headers: bearer(ada) })).statusCode, 403);
      assert.equal(
        (
          await app.inject({
            method: 'POST',
            url: hidden,
            headers: bearer(ada),
            payload: { ...body, ...spokeImage },
          })
        ).statusCode,
        403,
      );
      assert.equal((await app.inject({ method: 'GET', url: hidden, headers: bearer(ben) })).statusCode, 200);
      assert.equal(
        (await app.inject({ method: 'GET', url: '/api/cases/C-NOPE/annotations', headers: bearer(ben) }))
          .statusCode,
        404,
      );

      // Every change and read is in the audit trail, refusals too.
      assert.deepEqual(
        (await auditActions(bed, 'annotation-create')).map((e) => [e.actor_name, e.outcome]),
        [
          ['rita', 'denied'],
          ['olive', 'denied'],
          ['ada', 'success'],
          ['ada', 'success'],
          ['ada', 'denied'],
        ],
      );
      assert.deepEqual(
        (await auditActions(bed, 'annotation-update')).map((e) => [e.actor_name, e.outcome]),
        [
          ['ben', 'denied'],
          ['ada', 'success'],
        ],
      );
      assert.equal(
        (await auditActions(bed, 'annotation-delete')).filter((e) => e.outcome === 'success').length,
        1,
      );
      const reads = await auditActions(bed, 'annotations-read');
      assert.ok(reads.some((e) => e.actor_name === 'ben' && e.outcome === 'success'));
      assert.ok(reads.some((e) => e.actor_name === 'ada' && e.outcome === 'denied'));
      const verify = await app.inject({
        method: 'GET',
        url: '/api/audit/verify',
        headers: bearer(await bed.token('cara', ['compliance'])),
      });
      assert.equal(verify.json().brokenAtId, null, verify.body);
    } finally {
      await bed.close();
      await env.cleanup();
    }
  });
}

test('the annotation stream pushes a new annotation to another viewer of the case', async () => {
  const sc = (await storeCases()).find((c) => c.name === 'sqlite')!;
  const env = await sc.open();
  const bed = await startWorklistBed(env);
  try {
    const caseId = await bed.newCase({ site: HUB, protocol: 'ct-head' });
    const image = await firstImage(bed, caseId);
    const ada = await bed.token('ada', ['radiologist']);
    const ben = await bed.token('ben', ['radiologist']);
    const res = await fetch(`${bed.confer.httpUrl}/api/cases/${caseId}/annotations/stream`, {
      headers: bearer(ben),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += decoder.decode(value);
      }
    };
    await until(/event: ready/);
    const created = await bed.confer.app.inject({
      method: 'POST',
      url: `/api/cases/${caseId}/annotations`,
      headers: bearer(ada),
      payload: {
        studyUid: image.studyUid,
        seriesUid: image.seriesUid,
        sopInstanceUid: image.sopInstanceUid,
        tool: 'angle',
        points: [
          [10, 0],
          [0, 0],
          [0, 10],
        ],
      },
    });
    assert.equal(created.statusCode, 201);
    await until(/event: annotation\ndata: .*"tool":"angle"/);
    const id = created.json().annotation.id;
    await bed.confer.app.inject({
      method: 'DELETE',
      url: `/api/cases/${caseId}/annotations/${id}`,
      headers: bearer(ada),
    });
    await until(new RegExp(`event: deleted\\ndata: \\{"id":"${id}"\\}`));
    await reader.cancel();
    // Opening the stream is an access to the case: audited.
    assert.deepEqual(
      (await auditActions(bed, 'annotations-stream')).map((e) => [e.actor_name, e.outcome]),
      [['ben', 'success']],
    );
  } finally {
    await bed.close();
    await env.cleanup();
  }
});
