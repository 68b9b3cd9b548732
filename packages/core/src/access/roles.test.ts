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
