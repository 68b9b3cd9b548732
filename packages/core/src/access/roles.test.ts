import assert from 'node:assert/strict';
import { test } from 'node:test';
import { can, isRole, Permission, Role } from './roles.ts';

test('admin may do everything; compliance reads the audit log but no images', () => {
  for (const p of Object.values(Permission)) assert.equal(can([Role.Admin], p), true, p);
  assert.equal(can([Role.Compliance], Permission.AuditRead), true);
  assert.equal(can([Role.Compliance], Permission.ArchiveRead), false);
});

test('a radiologist reads but does not store; unknown roles grant nothing', () => {
  assert.equal(can([Role.Radiologist], Permission.ArchiveRead), true);
  assert.equal(can([Role.Radiologist], Permission.ArchiveWrite), false);
  assert.equal(can(['superuser'], Permission.ArchiveRead), false);
  assert.equal(isRole('superuser'), false);
  assert.equal(can([], Permission.ArchiveRead), false);
});

test('readers claim their own work; coordinators see and manage every queue; integrations post AI results', () => {
  assert.equal(can([Role.Radiologist], Permission.CaseClaim), true);
  assert.equal(can([Role.Radiologist], Permission.WorklistReadAll), false);
  assert.equal(can([Role.Radiologist], Permission.RoutingManage), false);
  assert.equal(can([Role.Coordinator], Permission.WorklistManage), true);
  assert.equal(can([Role.Coordinator], Permission.RoutingManage), true);
  assert.equal(can([Role.Coordinator], Permission.CaseClaim), false);
  assert.equal(can([Role.Integration], Permission.AiResultsWrite), true);
  assert.equal(can([Role.Referrer], Permission.WorklistRead), false);
});
