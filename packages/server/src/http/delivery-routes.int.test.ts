import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReportContent } from '@confer/core';
import { startMllpListener } from '../../test/support/mllp-listener.ts';
import { pdfToText, pdftotextSkip } from '../../test/support/pdftotext.ts';
import { storeCases } from '../../test/support/stores.ts';
import { bearer, HUB, startWorklistBed, type WorklistBed } from '../../test/support/worklist.ts';
import { parseMessage } from '../hl7/message.ts';
import { STARTER_TEMPLATES } from '../reporting/starter-templates.ts';

type Headers = Record<string, string>;

async function session(bed: WorklistBed, username: string, roles: string[]): Promise<Headers> {
  await bed.token(username, roles);
  const res = await bed.confer.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { username, password: `${username}-password-1` },
  });
  assert.equal(res.statusCode, 200, res.body);
  return { cookie: String(res.headers['set-cookie']).split(';')[0]! };
}

async function call(
  bed: WorklistBed,
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  headers: Headers,
  payload?: unknown,
) {
  const res = await bed.confer.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return res;
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, any>;

for (const sc of await storeCases()) {
  describe(`report outputs over HTTP, signed through the reporting API (${sc.name})`, {
    skip: sc.skip,
  }, () => {
    test('signing sends the ORU^R01 to the RIS; PDF and FHIR reads follow access rules; failures are listed and retried', async () => {
      const env = await sc.open();
      const ris = await startMllpListener('AA');
      const bed = await startWorklistBed(env, {
        config: {
          reportDestinations: [
            {
              id: 'main-ris',
              type: 'hl7-mllp',
              host: '127.0.0.1',
              port: ris.port,
              receivingApplication: 'RIS',
              receivingFacility: 'NORTHVALE',
              ackTimeoutMs: 2000,
            },
          ],
          reportDelivery: {
            maxAttempts: 2,
            retryDelaysMs: [60_000],
            leaseMs: 60_000,
            sendingFacility: 'CONFER-TEST',
            connectTimeoutMs: 2000,
            ackTimeoutMs: 2000,
          },
        },
      });
      try {
        const { confer } = bed;
        for (const t of STARTER_TEMPLATES) await confer.reports.templates.save(t, 'test', 'upsert');
        const caseId = await bed.newCase({ site: HUB });
        const ada = await session(bed, 'ada', ['radiologist']);
        assert.equal((await call(bed, 'POST', `/api/cases/${caseId}/claim`, ada)).statusCode, 200);
        const tpl = json(await call(bed, 'GET', `/api/cases/${caseId}/report/template`, ada));
        const draft = tpl.draft as ReportContent;
        const content: ReportContent = {
          ...draft,
          sections: draft.sections.map((s) =>
            s.id === 'findings'
              ? { ...s, text: 'The lungs are clear | no effusion.\nHeart not enlarged.', choiceIds: [] }
              : s,
          ),
          impression: 'No acute cardiopulmonary abnormality.',
        };
        const saved = json(
          await call(bed, 'PUT', `/api/cases/${caseId}/report/draft`, ada, { expectedRevision: 0, content }),
        );
        const prelim = await call(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
          kind: 'preliminary',
          password: 'ada-password-1',
          expectedRevision: saved.report.revision,
        });
        assert.equal(prelim.statusCode, 200, prelim.body);
        const reportId = json(prelim).signed.reportId as string;
        const studyUid = json(prelim).signed.studyUid as string;
        const accession = json(prelim).signed.accessionNumber as string | undefined;

        // The immediate kick after the signing commit sends it; no clockwork tick needed.
        await ris.waitFor(1);
        await confer.deliveries.idle();
        const oru = parseMessage(ris.received[0]!);
        assert.equal(oru.segment('MSH')!.get(9), 'ORU^R01^ORU_R01');
        assert.equal(oru.segment('MSH')!.get(4), 'CONFER-TEST');
        assert.equal(oru.segment('OBR')!.get(25), 'P');
        const findings = oru.all('OBX').find((o) => o.get(3, 1) === 'FINDINGS');
        assert.equal(findings?.get(5), 'The lungs are clear | no effusion.\nHeart not enlarged.');
        assert.equal(
          oru
            .all('OBX')
            .find((o) => o.get(3, 1) === '113014')
            ?.get(5),
          studyUid,
        );

        bed.clock.advance(10 * 60_000);
        const fin = await call(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
          kind: 'final',
          password: 'ada-password-1',
          expectedRevision: json(prelim).report.revision,
        });
        assert.equal(fin.statusCode, 200, fin.body);
        await ris.waitFor(2);
        await confer.deliveries.idle();
        assert.equal(parseMessage(ris.received[1]!).segment('OBR')!.get(25), 'F');

        const coord = bearer(await bed.token('olive', ['coordinator']));
        const deliveries = json(
          await call(bed, 'GET', `/api/reports/${reportId}/deliveries`, coord),
        ).deliveries;
        assert.deepEqual(
          deliveries.map((d: { reportVersion: number; state: string; lastAckCode: string }) => [
            d.reportVersion,
            d.state,
            d.lastAckCode,
          ]),
          [
            [1, 'delivered', 'AA'],
            [2, 'delivered', 'AA'],
          ],
        );
        assert.equal(deliveries[0].messageControlId, parseMessage(ris.received[0]!).segment('MSH')!.get(10));
        assert.equal(deliveries[0].attemptLog.length, 1);

        // PDF: the newest version by default, a named version on request.
        const pdf = await call(bed, 'GET', `/api/reports/${reportId}/pdf`, coord);
        assert.equal(pdf.statusCode, 200, pdf.body);
        assert.equal(pdf.headers['content-type'], 'application/pdf');
        assert.match(
          String(pdf.headers['content-disposition']),
          new RegExp(`^inline; filename="report-${reportId}-v2\\.pdf"$`),
        );
        assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
        if (!pdftotextSkip) {
          const text = pdfToText(pdf.rawPayload).replace(/\s+/g, ' ');
          assert.ok(text.includes('No acute cardiopulmonary abnormality.'), text);
          assert.ok(text.includes('Electronically signed by Dr Ada Quill'), text);
          assert.ok(!text.includes('PRELIMINARY'), text);
          const v1 = await call(bed, 'GET', `/api/reports/${reportId}/pdf?version=1`, coord);
          assert.ok(pdfToText(v1.rawPayload).includes('PRELIMINARY'));
        }
        assert.equal(
          (await call(bed, 'GET', `/api/reports/${reportId}/pdf?version=9`, coord)).statusCode,
          404,
        );

        // Access: the reading radiologist yes; a radiologist the case was never routed to, no; a technologist
        // (no report:read), no; a referrer reads the final but not the preliminary.
        assert.equal((await call(bed, 'GET', `/api/reports/${reportId}/pdf`, ada)).statusCode, 200);
        const stranger = bearer(await bed.token('zed', ['radiologist']));
        const denied = await call(bed, 'GET', `/api/reports/${reportId}/pdf`, stranger);
        assert.equal(denied.statusCode, 403);
        assert.equal(json(denied).code, 'CONFER_ERR_FORBIDDEN');
        const tech = bearer(await bed.token('tess', ['technologist']));
        assert.equal((await call(bed, 'GET', `/api/reports/${reportId}/pdf`, tech)).statusCode, 403);
        const referrer = bearer(await bed.token('rita', ['referrer']));
        assert.equal(
          (await call(bed, 'GET', `/api/reports/${reportId}/pdf?version=1`, referrer)).statusCode,
          403,
        );
        assert.equal((await call(bed, 'GET', `/api/reports/${reportId}/pdf`, referrer)).statusCode, 200);
        assert.equal((await call(bed, 'GET', `/api/reports/${reportId}/pdf`, {})).statusCode, 401);

        // FHIR read and search.
        const dr = await call(bed, 'GET', `/api/fhir/DiagnosticReport/${reportId}`, referrer);
        assert.equal(dr.statusCode, 200, dr.body);
        assert.match(String(dr.headers['content-type']), /^application\/fhir\+json/);
        const resource = json(dr);
        assert.equal(resource.resourceType, 'DiagnosticReport');
        assert.equal(resource.status, 'final');
        assert.equal(resource.meta.versionId, '2');
        assert.equal(resource.conclusion, 'No acute cardiopulmonary abnormality.');
        assert.equal(resource.code.coding[0].code, '18748-4');
        assert.equal(resource.imagingStudy[0].identifier.value, `urn:oid:${studyUid}`);
        assert.equal(resource.resultsInterpreter[0].display, 'Dr Ada Quill');
        assert.equal(resource.issued, '2026-03-10T14:10:00.000Z');
        assert.equal(
          Buffer.from(resource.presentedForm[0].data, 'base64').subarray(0, 5).toString(),
          '%PDF-',
        );
        assert.match(
          Buffer.from(resource.presentedForm[1].data, 'base64').toString(),
          /IMPRESSION\nNo acute cardiopulmonary abnormality\./,
        );

        const missing = await call(bed, 'GET', '/api/fhir/DiagnosticReport/R-NOPE', coord);
        assert.equal(missing.statusCode, 404);
        assert.equal(json(missing).resourceType, 'OperationOutcome');
        assert.equal(json(missing).issue[0].code, 'not-found');
        const strangerFhir = await call(bed, 'GET', `/api/fhir/DiagnosticReport/${reportId}`, stranger);
        assert.equal(strangerFhir.statusCode, 403);
        assert.equal(json(strangerFhir).issue[0].code, 'forbidden');

        const byStudy = json(
          await call(bed, 'GET', `/api/fhir/DiagnosticReport?study=urn:oid:${studyUid}`, coord),
        );
        assert.equal(byStudy.resourceType, 'Bundle');
        assert.equal(byStudy.type, 'searchset');
        assert.equal(byStudy.total, 1);
        assert.equal(byStudy.entry[0].resource.id, reportId);
        assert.match(byStudy.entry[0].fullUrl, new RegExp(`/api/fhir/DiagnosticReport/${reportId}$`));
        if (accession) {
          const byAcc = json(
            await call(
              bed,
              'GET',
              `/api/fhir/DiagnosticReport?identifier=urn:confer:accession|${accession}`,
              coord,
            ),
          );
          assert.equal(byAcc.total, 1);
          const byBasedOn = json(
            await call(bed, 'GET', `/api/fhir/DiagnosticReport?based-on=ServiceRequest/${accession}`, coord),
          );
          assert.equal(byBasedOn.total, 1);
        }
        assert.equal(
          json(await call(bed, 'GET', `/api/fhir/DiagnosticReport?study=${studyUid}`, stranger)).total,
          0,
        );
        assert.equal(
          json(
            await call(bed, 'GET', `/api/fhir/DiagnosticReport?study=${studyUid}&status=preliminary`, coord),
          ).total,
          0,
        );
        const noCriteria = await call(bed, 'GET', '/api/fhir/DiagnosticReport', coord);
        assert.equal(noCriteria.statusCode, 400);
        assert.equal(json(noCriteria).resourceType, 'OperationOutcome');

        // A refused addendum: retried once, then failed, listed, and sent again by the retry command.
        ris.answer('AE');
        bed.clock.advance(60 * 60_000);
        const add = await call(bed, 'POST', `/api/cases/${caseId}/report/sign`, ada, {
          kind: 'addendum',
          password: 'ada-password-1',
          expectedRevision: json(fin).report.revision,
          content: { ...json(fin).report.draft.content, addendum: 'Compared with the prior: unchanged.' },
        });
        assert.equal(add.statusCode, 200, add.body);
        await ris.waitFor(3);
        await confer.deliveries.idle();
        bed.clock.advance(60_000);
        await confer.tick();
        await ris.waitFor(4);
        await confer.deliveries.idle();
        const failed = json(await call(bed, 'GET', '/api/report-deliveries?state=failed', coord)).deliveries;
        assert.equal(failed.length, 1);
        assert.equal(failed[0].reportVersion, 3);
        assert.equal(failed[0].kind, 'addendum');
        assert.match(failed[0].lastError, /^AE: Unknown patient & order/);
        // Coordinators were told, without the receiver's text (it can echo patient details).
        const inbox = json(await call(bed, 'GET', '/api/notifications', coord));
        const told = inbox.items.find((n: { kind: string }) => n.kind === 'report-delivery');
        assert.ok(told, JSON.stringify(inbox));
        assert.equal(told.title, 'Report not delivered to main-ris');
        assert.equal(told.caseId, caseId);
        assert.equal(told.link, '#/report-deliveries');
        assert.doesNotMatch(told.body, /Unknown patient/);
        assert.equal(
          json(await call(bed, 'GET', '/api/notifications', ada)).items.filter(
            (n: { kind: string }) => n.kind === 'report-delivery',
          ).length,
          0,
        );
        const forbidden = await call(bed, 'GET', '/api/report-deliveries?state=failed', ada);
        assert.equal(forbidden.statusCode, 403);
        assert.equal(json(forbidden).code, 'CONFER_ERR_FORBIDDEN');
        assert.equal(
          (await call(bed, 'POST', `/api/report-deliveries/${failed[0].id}/retry`, ada)).statusCode,
          403,
        );

        ris.answer('AA');
        const retried = await call(bed, 'POST', `/api/report-deliveries/${failed[0].id}/retry`, coord);
        assert.equal(retried.statusCode, 200, retried.body);
        await ris.waitFor(5);
        await confer.deliveries.idle();
        const addendumOru = parseMessage(ris.received[4]!);
        assert.equal(addendumOru.segment('OBR')!.get(25), 'C');
        assert.match(
          addendumOru
            .all('OBX')
            .find((o) => o.get(3, 1) === 'ADDENDUM')!
            .get(5),
          /Compared with the prior: unchanged\./,
        );
        assert.equal(
          json(await call(bed, 'GET', '/api/report-deliveries?state=failed', coord)).deliveries.length,
          0,
        );
        const again = await call(bed, 'POST', `/api/report-deliveries/${failed[0].id}/retry`, coord);
        assert.equal(again.statusCode, 409);
        assert.equal(json(again).code, 'CONFER_ERR_DELIVERY_NOT_RETRYABLE');

        // The case page's list: every version for the reader, no preliminary for the referrer.
        const forAda = json(await call(bed, 'GET', `/api/cases/${caseId}/signed-reports`, ada)).versions;
        assert.deepEqual(
          forAda.map((v: { version: number; kind: string }) => [v.version, v.kind]),
          [
            [3, 'addendum'],
            [2, 'final'],
            [1, 'preliminary'],
          ],
        );
        assert.equal(forAda[0].pdfUrl, `/api/reports/${reportId}/pdf?version=3`);
        assert.deepEqual(
          forAda[0].deliveries.map(
            (d: { destinationId: string; state: string; lastError: string | null }) => [
              d.destinationId,
              d.state,
              d.lastError,
            ],
          ),
          [['main-ris', 'delivered', null]],
        );
        const forRita = json(
          await call(bed, 'GET', `/api/cases/${caseId}/signed-reports`, referrer),
        ).versions;
        assert.deepEqual(
          forRita.map((v: { version: number }) => v.version),
          [3, 2],
        );
        assert.deepEqual(
          json(await call(bed, 'GET', `/api/cases/${caseId}/signed-reports`, stranger)).versions,
          [],
        );

        const audit = await confer.store.db
          .selectFrom('audit_events')
          .select(['action', 'outcome'])
          .execute();
        const count = (action: string, outcome: string) =>
          audit.filter((a) => a.action === action && a.outcome === outcome).length;
        assert.equal(count('report-send', 'success'), 3);
        assert.equal(count('report-send', 'failure'), 2);
        assert.ok(count('report-pdf', 'success') >= 4);
        assert.ok(count('report-pdf', 'denied') >= 2);
        assert.ok(count('report-fhir-read', 'success') >= 1);
        assert.ok(count('report-fhir-search', 'success') >= 1);
        assert.equal(count('report-delivery-retry', 'success'), 1);

        const openapi = json(await call(bed, 'GET', '/api/openapi.json', coord));
        for (const path of [
          '/api/reports/{reportId}/pdf',
          '/api/report-deliveries',
          '/api/fhir/DiagnosticReport/{id}',
        ])
          assert.ok(openapi.paths[path], `${path} missing from the OpenAPI document`);
      } finally {
        await bed.close();
        await ris.close();
        await env.cleanup();
      }
    });
  });
}
