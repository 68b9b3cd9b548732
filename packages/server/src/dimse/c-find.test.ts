import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Actor, QueryError, QueryErrorCode, type QueryInput, QueryLevel } from '../archive/ports.ts';
import type { WritableDataset } from '../dicom/dataset-writer.ts';
import type { DicomJsonDataset } from '../dicom/dicom-json.ts';
import { Tag } from '../dicom/tags.ts';
import { QueryModel } from './association.ts';
import {
  type FindPlan,
  performCFind,
  planFind,
  queryErrorStatus,
  rawQueryValue,
  responseIdentifier,
} from './c-find.ts';
import { Status } from './dimse-message.ts';

const actor: Actor = { kind: 'ae', id: 'MOD1', name: 'MOD1', roles: [], siteId: null };
const origin = { protocol: 'dimse' as const, remoteAddress: '127.0.0.1' };

const identifier: DicomJsonDataset = {
  [Tag.SpecificCharacterSet]: { vr: 'CS', Value: ['ISO_IR 100'] },
  [Tag.QueryRetrieveLevel]: { vr: 'CS', Value: ['STUDY'] },
  [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^J*' }] },
  [Tag.PatientID]: { vr: 'LO' },
  [Tag.StudyDate]: { vr: 'DA', Value: ['20200101-20201231'] },
  [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.3', '1.2.4'] },
  [Tag.ModalitiesInStudy]: { vr: 'CS' },
};

test('keys with a value are matching keys in their raw DICOM form; every key is a return key', () => {
  const plan = planFind(identifier, QueryModel.StudyRoot) as FindPlan;
  assert.equal(plan.level, QueryLevel.Study);
  assert.deepEqual(plan.keys, {
    [Tag.PatientName]: 'Doe^J*',
    [Tag.StudyDate]: '20200101-20201231',
    [Tag.StudyInstanceUID]: '1.2.3\\1.2.4',
  });
  assert.deepEqual(
    Object.keys(plan.returnKeys).sort(),
    [Tag.StudyDate, Tag.ModalitiesInStudy, Tag.PatientName, Tag.PatientID, Tag.StudyInstanceUID].sort(),
  );
  assert.equal(plan.unsupportedKeys, false);
  assert.equal(
    rawQueryValue({ vr: 'PN', Value: [{ Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎' }] }),
    'Yamada^Tarou=山田^太郎',
  );
});

test('levels outside the information model, or none, are refused with 0xA900', () => {
  const patient = { ...identifier, [Tag.QueryRetrieveLevel]: { vr: 'CS', Value: ['PATIENT'] } };
  const refused = planFind(patient, QueryModel.StudyRoot);
  assert.equal('status' in refused && refused.status, 0xa900);
  assert.match((refused as { errorComment: string }).errorComment, /Study Root has no PATIENT level/);
  assert.equal('level' in planFind(patient, QueryModel.PatientRoot), true);
  const none = planFind({ [Tag.PatientID]: { vr: 'LO' } }, QueryModel.PatientRoot);
  assert.equal('status' in none && none.status, Status.IdentifierDoesNotMatchSopClass);
  const bogus = planFind(
    { [Tag.QueryRetrieveLevel]: { vr: 'CS', Value: ['FRAME'] } },
    QueryModel.PatientRoot,
  );
  assert.match((bogus as { errorComment: string }).errorComment, /"FRAME" is not one of PATIENT, STUDY/);
});

test('a response holds exactly the requested keys, the level and our AE title', () => {
  const plan = planFind(identifier, QueryModel.StudyRoot) as FindPlan;
  const match: DicomJsonDataset = {
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
    [Tag.PatientID]: { vr: 'LO', Value: ['P1'] },
    [Tag.PatientBirthDate]: { vr: 'DA', Value: ['19700101'] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.3'] },
    [Tag.StudyDate]: { vr: 'DA', Value: ['20200202'] },
    [Tag.AccessionNumber]: { vr: 'SH', Value: ['A1'] },
  };
  const out = responseIdentifier(match, plan, 'CONFER');
  assert.deepEqual(out, {
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] },
    [Tag.PatientID]: { vr: 'LO', Value: ['P1'] },
    [Tag.StudyDate]: { vr: 'DA', Value: ['20200202'] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1.2.3'] },
    [Tag.ModalitiesInStudy]: { vr: 'CS' },
    [Tag.QueryRetrieveLevel]: { vr: 'CS', Value: ['STUDY'] },
    [Tag.RetrieveAETitle]: { vr: 'AE', Value: ['CONFER'] },
  });
});

test('a non-ASCII value brings Specific Character Set ISO_IR 192 into the response', () => {
  const plan = planFind(identifier, QueryModel.StudyRoot) as FindPlan;
  const out = responseIdentifier(
    { [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Müller^Jörg' }] } },
    plan,
    'CONFER',
  );
  assert.deepEqual(out[Tag.SpecificCharacterSet], { vr: 'CS', Value: ['ISO_IR 192'] });
});

test('sequence keys return only the asked sub-keys, and sequence matching is flagged unsupported', () => {
  const plan = planFind(
    {
      [Tag.QueryRetrieveLevel]: { vr: 'CS', Value: ['IMAGE'] },
      [Tag.RequestAttributesSequence]: {
        vr: 'SQ',
        Value: [{ [Tag.RequestedProcedureDescription]: { vr: 'LO', Value: ['HEAD'] } }],
      },
    },
    QueryModel.StudyRoot,
  ) as FindPlan;
  assert.equal(plan.unsupportedKeys, true);
  assert.deepEqual(plan.keys, {});
  const out = responseIdentifier(
    {
      [Tag.RequestAttributesSequence]: {
        vr: 'SQ',
        Value: [
          {
            [Tag.RequestedProcedureDescription]: { vr: 'LO', Value: ['CT HEAD'] },
            [Tag.AccessionNumber]: { vr: 'SH', Value: ['A1'] },
          },
        ],
      },
    },
    plan,
    'CONFER',
  );
  assert.deepEqual(out[Tag.RequestAttributesSequence], {
    vr: 'SQ',
    Value: [{ [Tag.RequestedProcedureDescription]: { vr: 'LO', Value: ['CT HEAD'] } }],
  });
});

test('query errors map to 0xA900 with the offending element, or to a refusal', () => {
  assert.deepEqual(
    queryErrorStatus(new QueryError(QueryErrorCode.InvalidKey, '"x" is not a date', Tag.StudyDate)),
    {
      status: 0xa900,
      errorComment: '(0008,0020): "x" is not a date',
      offendingElements: [Tag.StudyDate],
    },
  );
  assert.equal(queryErrorStatus(new QueryError(QueryErrorCode.StorageUnavailable, 'db down')).status, 0xc000);
  assert.equal(queryErrorStatus(new QueryError(QueryErrorCode.Forbidden, 'no')).status, 0x0124);
});

test('performCFind sends a pending response per match, warns of ignored keys, and honours a cancel', async () => {
  const inputs: QueryInput[] = [];
  const query = {
    async query(input: QueryInput) {
      inputs.push(input);
      return {
        matches: [
          { [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['1'] } },
          { [Tag.StudyInstanceUID]: { vr: 'UI', Value: ['2'] } },
        ],
        more: false,
        ignoredKeys: [Tag.ModalitiesInStudy],
      };
    },
  };
  const sent: [WritableDataset, number][] = [];
  let cancelAfter = Number.POSITIVE_INFINITY;
  const req = {
    identifier,
    model: QueryModel.StudyRoot,
    aeTitle: 'CONFER',
    actor,
    origin,
    sendPending: async (ds: WritableDataset, status: number) => {
      sent.push([ds, status]);
    },
    cancelled: () => sent.length >= cancelAfter,
  };
  assert.deepEqual(await performCFind(query, req), { status: Status.Success });
  assert.deepEqual(
    sent.map(([, status]) => status),
    [0xff01, 0xff01],
  );
  assert.equal(inputs[0]!.level, 'STUDY');
  assert.equal(inputs[0]!.actor, actor);
  sent.length = 0;
  cancelAfter = 1;
  assert.deepEqual(await performCFind(query, req), { status: Status.Cancel });
  assert.equal(sent.length, 1);
});
