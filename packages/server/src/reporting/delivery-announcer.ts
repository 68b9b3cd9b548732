import { Role } from '@confer/core';
import type { Kysely } from 'kysely';
import type { NotificationService } from '../notifications/notification-service.ts';
import type { Database } from '../store/schema.ts';
import type { DeliveryFailure } from './delivery-service.ts';

/**
 * Tells the coordinators (the admins, when no coordinator account exists) that a signed report could not be
 * delivered, in the app. The text names the report, version and destination only: a receiver's error can
 * echo patient details, so it stays on the Report deliveries page, behind report:manage.
 */
export function announceDeliveryFailures(
  db: Kysely<Database>,
  notifications: Pick<NotificationService, 'notify'>,
): (failure: DeliveryFailure) => Promise<void> {
  return async (failure) => {
    const users = await db
      .selectFrom('users')
      .select(['username', 'roles'])
      .where('disabled', '=', 0)
      .execute();
    const withRole = (role: string) =>
      users.filter((u) => (JSON.parse(u.roles) as string[]).includes(role)).map((u) => u.username);
    const coordinators = withRole(Role.Coordinator);
    const usernames = coordinators.length > 0 ? coordinators : withRole(Role.Admin);
    await notifications.notify({
      usernames,
      kind: 'report-delivery',
      title: `Report not delivered to ${failure.destinationId}`,
      body: `Version ${failure.reportVersion} of report ${failure.reportId} failed after ${failure.attempts} attempt${
        failure.attempts === 1 ? '' : 's'
      }. Open Report deliveries to see the receiver's answer and send it again.`,
      caseId: failure.caseId,
      link: '#/report-deliveries',
    });
  };
}
