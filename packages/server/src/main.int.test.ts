import assert from 'node:assert/strict';
import { cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dcmtkSkipReason, runDcmtk } from '../test/support/dcmtk.ts';
import { storeCases } from '../test/support/stores.ts';
import { loadConfig } from './config/config.ts';
import { startConfer } from './main.ts';

const fixtures = join(import.meta.dirname, '../test/fixtures/pydicom');
const dcmtkSkip = dcmtkSkipReason();

for (const c of await storeCases()) {
  describe(`Confer end to end on ${c.name}: dcmtk in, DICOMweb out, audited, restartable`, {
    skip: c.skip ?? dcmtkSkip,
  }, () => {
    test('echo, store, find, search, retrieve, refuse bad input, restart', async () => {
      const env = await c.open();
      const config = loadConfig(
        { CONFER_DATA_DIR: join(env.dataDir, 'confer') },
        {
          httpPort: 0,
          dicomPort: 0,
          logLevel: 'silent',
          adminPassword: 'first-admin-password',
          databaseUrl: env.databaseUrl,
          sites: [{ id: 'north', name: 'North Clinic', aeTitles: ['NORTH_CT'], timeZone: 'America/Chicago' }],
        },
      );
      let confer = await startConfer(config, { completionTimer: false });
      try {
        const port = String(confer.dicomPort);
        const unknown = await runDcmtk('echoscu', ['-aet', 'STRANGER', '-aec', 'CONFER', '127.0.0.1', port]);
        assert.notEqual(unknown.code, 0);
        assert.match(unknown.stderr + unknown.stdout, /Calling AE Title Not Recognized/i);
        assert.equal(
          (await runDcmtk('echoscu', ['-aet', 'NORTH_CT', '-aec', 'CONFER', '127.0.0.1', port])).code,
          0,
        );

        const inbox = join(env.dataDir, 'inbox');
        await mkdir(inbox);
        const good = (await readdir(fixtures)).filter(
          (n) => n.endsWith('.dcm') && !n.includes('truncated') && n !== 'rtstruct.dcm',
        );
        for (const n of good) await cp(join(fixtures, n), join(inbox, n));
        const sent = await runDcmtk('dcmsend', [
          '-aet',
          'NORTH_CT',
          '-aec',
          'CONFER',
          '127.0.0.1',
          port,
          '--scan-directories',
          inbox,
        ]);
        assert.equal(sent.code, 0, sent.stderr);

        // dcmtk will not send a truncated file, but it sends one without a Study Instance UID; Confer refuses it.
        const noStudy = join(env.dataDir, 'no-study.dcm');
        await cp(join(fixtures, 'CT_small.dcm'), noStudy);
        assert.equal((await runDcmtk('dcmodify', ['-nb', '-ea', '(0020,000d)', noStudy])).code, 0);
        await runDcmtk('dcmodify', ['-nb', '-m', '(0008,0018)=1.2.826.0.1.3680043.2.1125.99.1', noStudy]);
        const refused = await runDcmtk('storescu', [
          '-v',
          '-aet',
          'NORTH_CT',
          '-aec',
          'CONFER',
          '127.0.0.1',
          port,
          noStudy,
        ]);
        assert.match(
          refused.stderr + refused.stdout,
          /Error: DataSetDoesNotMatchSOPClass/,
          `refused with a status: ${refused.stderr}`,
        );

        const found = await runDcmtk('findscu', [
          '-S',
          '-aet',
          'NORTH_CT',
          '-aec',
          'CONFER',
          '-k',
          'QueryRetrieveLevel=STUDY',
          '-k',
          'StudyInstanceUID',
          '-k',
          'ModalitiesInStudy=CT',
          '127.0.0.1',
          port,
        ]);
        assert.equal(found.code, 0);
        assert.equal((found.stderr.match(/\(0020,000d\)/gi) ?? []).length, 1, 'one CT study in the fixtures');

        const { token } = await confer.access.createToken({ name: 'test', username: 'admin' });
        const auth = { authorization: `Bearer ${token}` };
        assert.equal((await fetch(`${confer.httpUrl}/dicomweb/studies`)).status, 401, 'no anonymous access');
        const studies = (await (
          await fetch(`${confer.httpUrl}/dicomweb/studies?includefield=all`, { headers: auth })
        ).json()) as Record<string, { Value?: unknown[] }>[];
        const stored = await confer.store.db.selectFrom('instances').select('sop_instance_uid').execute();
        // pydicom's MR_small variants share one SOP instance, and the RT files two studies.
        assert.ok(stored.length >= good.length - 4, `${stored.length} instances stored`);
        assert.ok(studies.length >= 8);
        const site = await confer.store.db.selectFrom('studies').select('site_id').distinct().execute();
        assert.deepEqual(
          site.map((s) => s.site_id),
          ['north'],
          'every study remembers the sending site',
        );

        const audit = (await (
          await fetch(`${confer.httpUrl}/api/audit?limit=1000`, { headers: auth })
        ).json()) as {
          events: { action: string; callingAe: string | null; outcome: string }[];
        };
        assert.ok(audit.events.some((e) => e.action === 'instance-stored' && e.callingAe === 'NORTH_CT'));
        assert.ok(audit.events.some((e) => e.action === 'instance-store-refused'));
        assert.ok(
          audit.events.some((e) => e.outcome === 'denied' || e.action.startsWith('association')),
          'the stranger is on record',
        );
        assert.ok(audit.events.some((e) => e.action === 'query'));

        await confer.close();
        confer = await startConfer(config, { completionTimer: false });
        const again = await confer.store.db.selectFrom('instances').select('sop_instance_uid').execute();
        assert.equal(again.length, stored.length, 'nothing lost across a restart');
        assert.equal(confer.generatedAdminPassword, undefined);
        assert.equal((await confer.access.listUsers()).length, 1, 'the first admin is created once');
      } finally {
        await confer.close();
        await env.cleanup();
      }
    });
  });
}
