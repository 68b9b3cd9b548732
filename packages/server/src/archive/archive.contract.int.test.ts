import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { archiveServices } from '../../test/support/archive.ts';
import { storeCases } from '../../test/support/stores.ts';
import { firstNumber, firstString } from '../dicom/dicom-json.ts';
import { readPart10Header } from '../dicom/part10.ts';
import { Tag } from '../dicom/tags.ts';
import { type Actor, Protocol, StoreFailure } from './ports.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');
const tech: Actor = { kind: 'user', id: '1', name: 'tech', roles: ['technologist'], siteId: 'north' };
const reader: Actor = { kind: 'user', id: '2', name: 'dr.reader', roles: ['radiologist'], siteId: null };
const origin = { protocol: Protocol.Dicomweb, remoteAddress: '127.0.0.1' };

async function* chunks(bytes: Uint8Array, size = 1000): AsyncIterable<Uint8Array> {
  for (let o = 0; o < bytes.byteLength; o += size) yield bytes.subarray(o, o + size);
}

for (const c of await storeCases()) {
  describe(`archive contract on ${c.name}`, { skip: c.skip }, () => {
    async function setup() {
      const env = await c.open();
      const services = await archiveServices(env);
      return { ...env, ...services, blobs: services.files };
    }

    test('stores every readable fixture, indexes it, and keeps the original bytes', async () => {
      const s = await setup();
      try {
        const names = (await readdir(fixtures)).filter(
          (n) => n.endsWith('.dcm') && !n.includes('truncated') && n !== 'rtstruct.dcm',
        );
        for (const name of names) {
          const bytes = await readFile(join(fixtures, name));
          const out = await s.ingest.store({
            body: createReadStream(join(fixtures, name)),
            framing: 'part10',
            actor: tech,
            origin,
          });
          assert.ok(out.ok, `${name}: ${out.ok ? '' : out.reason}`);
          // pydicom's MR_small variants share one SOP Instance UID: the first one stored is kept.
          if (out.duplicate) continue;
          const row = await s.store.db
            .selectFrom('instances')
            .selectAll()
            .where('sop_instance_uid', '=', out.sopInstanceUid)
            .executeTakeFirstOrThrow();
          const stored = await readFile(s.blobs.pathOf(row.blob_key));
          assert.ok(stored.equals(bytes), `${name} is stored byte for byte`);
          assert.equal(row.transfer_syntax_uid, readPart10Header(bytes).transferSyntaxUid);
        }
        // image_dfl.dcm and test-SR.dcm have no Patient ID: two studies, two patients, not one.
        const noId = await s.store.db
          .selectFrom('patients')
          .selectAll()
          .where('patient_id', '=', '')
          .execute();
        assert.equal(noId.length, 2);
        assert.notEqual(noId[0]!.patient_name, noId[1]!.patient_name);
        const studies = await s.query.query({ level: 'STUDY', keys: {}, actor: reader, origin });
        assert.ok(studies.matches.length >= 5);
        const verify = await s.audit.verify();
        assert.equal(verify.brokenAtId, null);
        assert.ok(verify.rows >= names.length + 1, 'every store and the query are audited');
      } finally {
        await s.cleanup();
      }
    });

    test('the same instance twice is idempotent; a second study UID in the request is refused', async () => {
      const s = await setup();
      try {
        const file = join(fixtures, 'CT_small.dcm');
        const first = await s.ingest.store({
          body: createReadStream(file),
          framing: 'part10',
          actor: tech,
          origin,
        });
        const again = await s.ingest.store({
          body: createReadStream(file),
          framing: 'part10',
          actor: tech,
          origin,
        });
        assert.ok(first.ok && again.ok);
        assert.equal(first.duplicate, false);
        assert.equal(again.duplicate, true);
        const count = await s.store.db
          .selectFrom('instances')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow();
        assert.equal(Number(count.n), 1);
        const wrong = await s.ingest.store({
          body: createReadStream(file),
          framing: 'part10',
          expectedStudyUid: '1.2.3',
          actor: tech,
          origin,
        });
        assert.equal(wrong.ok, false);
        assert.equal(!wrong.ok && wrong.failure, StoreFailure.StudyMismatch);
      } finally {
        await s.cleanup();
      }
    });

    test('truncated, non-DICOM, oversized and forbidden input fail cleanly and leave no file or row', async () => {
      const s = await setup();
      try {
        const truncated = await s.ingest.store({
          body: createReadStream(join(fixtures, 'MR_truncated.dcm')),
          framing: 'part10',
          actor: tech,
          origin,
        });
        assert.equal(!truncated.ok && truncated.failure, StoreFailure.CannotParse);
        assert.match(!truncated.ok ? truncated.reason : '', /truncated/);
        const noMeta = await s.ingest.store({
          body: createReadStream(join(fixtures, 'rtstruct.dcm')),
          framing: 'part10',
          actor: tech,
          origin,
        });
        assert.match(!noMeta.ok ? noMeta.reason : '', /DICM/);
        const { ingest: small } = await archiveServices(s, {
          limits: { maxInstanceBytes: 10_000, maxHeaderBytes: 4096 },
        });
        const big = await small.store({
          body: chunks(await readFile(join(fixtures, 'CT_small.dcm'))),
          framing: 'part10',
          actor: tech,
          origin,
        });
        assert.equal(!big.ok && big.failure, StoreFailure.TooLarge);
        const forbidden = await s.ingest.store({
          body: createReadStream(join(fixtures, 'CT_small.dcm')),
          framing: 'part10',
          actor: reader,
          origin,
        });
        assert.equal(!forbidden.ok && forbidden.failure, StoreFailure.Forbidden);
        const rows = await s.store.db.selectFrom('instances').select('id').execute();
        assert.equal(rows.length, 0);
        const leftovers = await readdir(join(s.dataDir, 'blobs', '.incoming'));
        assert.deepEqual(leftovers, []);
        const refused = await s.audit.list({ limit: 10 });
        assert.ok(refused.some((e) => e.action === 'instance-store-refused' && e.outcome === 'denied'));
      } finally {
        await s.cleanup();
      }
    });

    test('a bare data set with its command UIDs is stored with a file meta Confer writes', async () => {
      const s = await setup();
      try {
        const bytes = await readFile(join(fixtures, 'MR_small.dcm'));
        const h = readPart10Header(bytes);
        const base = {
          body: chunks(bytes.subarray(h.datasetOffset), 4096),
          framing: 'dataset' as const,
          transferSyntaxUid: h.transferSyntaxUid,
          actor: { ...tech, kind: 'ae' as const, name: 'MR_NORTH' },
          origin: { protocol: Protocol.Dimse, remoteAddress: '127.0.0.1', callingAe: 'MR_NORTH' },
        };
        const mismatch = await s.ingest.store({
          ...base,
          sopClassUid: h.sopClassUid!,
          sopInstanceUid: '1.2.3.4',
        });
        assert.equal(!mismatch.ok && mismatch.failure, StoreFailure.UidMismatch);
        const ok = await s.ingest.store({
          ...base,
          body: chunks(bytes.subarray(h.datasetOffset), 4096),
          sopClassUid: h.sopClassUid!,
          sopInstanceUid: h.sopInstanceUid!,
        });
        assert.ok(ok.ok);
        const row = await s.store.db.selectFrom('instances').selectAll().executeTakeFirstOrThrow();
        const stored = await readFile(s.blobs.pathOf(row.blob_key));
        const meta = readPart10Header(stored);
        assert.equal(firstString(meta.meta, Tag.SourceApplicationEntityTitle), 'MR_NORTH');
        assert.ok(stored.subarray(meta.datasetOffset).equals(bytes.subarray(h.datasetOffset)));
        const study = await s.store.db.selectFrom('studies').selectAll().executeTakeFirstOrThrow();
        assert.equal(study.site_id, 'north');
      } finally {
        await s.cleanup();
      }
    });

    test('QIDO/C-FIND matching: wildcards, case-insensitive names, date ranges, UID lists, modalities', async () => {
      const s = await setup();
      try {
        for (const name of ['CT_small.dcm', 'MR_small.dcm', 'JPEG2000.dcm', 'rtplan.dcm']) {
          const out = await s.ingest.store({
            body: createReadStream(join(fixtures, name)),
            framing: 'part10',
            actor: tech,
            origin,
          });
          assert.ok(out.ok);
        }
        const q = (keys: Record<string, string>, level: 'STUDY' | 'SERIES' | 'IMAGE' | 'PATIENT' = 'STUDY') =>
          s.query.query({ level, keys, actor: reader, origin });
        const all = await q({});
        const ct = all.matches.find((m) => firstString(m, Tag.ModalitiesInStudy) === 'CT')!;
        assert.ok(ct, 'the CT study is listed with its modality');
        const ctName = firstString(ct, Tag.PatientName)!;
        assert.equal(
          (await q({ [Tag.PatientName]: `${ctName.slice(0, 3).toLowerCase()}*` })).matches.length >= 1,
          true,
        );
        assert.equal((await q({ [Tag.PatientName]: 'NOBODY*' })).matches.length, 0);
        const date = firstString(ct, Tag.StudyDate)!;
        assert.ok(
          (await q({ [Tag.StudyDate]: `${date}-` })).matches.some(
            (m) => firstString(m, Tag.StudyDate) === date,
          ),
        );
        assert.equal(
          (await q({ [Tag.StudyDate]: `-${Number(date) - 1}` })).matches.some(
            (m) => firstString(m, Tag.StudyDate) === date,
          ),
          false,
        );
        const uids = all.matches.slice(0, 2).map((m) => firstString(m, Tag.StudyInstanceUID)!);
        assert.equal((await q({ [Tag.StudyInstanceUID]: uids.join('\\') })).matches.length, 2);
        assert.ok(
          (await q({ [Tag.ModalitiesInStudy]: 'CT' })).matches.every(
            (m) => firstString(m, Tag.ModalitiesInStudy) === 'CT',
          ),
        );
        const series = await q({ [Tag.StudyInstanceUID]: firstString(ct, Tag.StudyInstanceUID)! }, 'SERIES');
        assert.equal(series.matches.length, 1);
        assert.equal(firstNumber(series.matches[0]!, Tag.NumberOfSeriesRelatedInstances), 1);
        const images = await q(
          { [Tag.SeriesInstanceUID]: firstString(series.matches[0]!, Tag.SeriesInstanceUID)! },
          'IMAGE',
        );
        assert.equal(images.matches.length, 1);
        assert.equal(firstNumber(images.matches[0]!, Tag.Rows), 128);
        const patients = await q({}, 'PATIENT');
        assert.ok(patients.matches.every((m) => firstNumber(m, Tag.NumberOfPatientRelatedStudies)! >= 1));
        const paged = await s.query.query({
          level: 'STUDY',
          keys: {},
          limit: 2,
          offset: 0,
          actor: reader,
          origin,
        });
        assert.equal(paged.matches.length, 2);
        assert.equal(paged.more, true);
        await assert.rejects(q({ [Tag.StudyDate]: '2024-13' }), /not a date/);
        const ignored = await q({ '00181030': 'x' });
        assert.deepEqual(ignored.ignoredKeys, ['00181030']);
      } finally {
        await s.cleanup();
      }
    });
  });
}
