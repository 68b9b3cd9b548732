import { Role } from '@confer/core';
import type { Actor, AuditSink } from '../../src/archive/ports.ts';
import { DimseServer } from '../../src/dimse/server.ts';
import { archiveServices } from './archive.ts';
import { storeCases } from './stores.ts';

/** Confer's DIMSE server on a free port over the real archive services and a fresh SQLite store. */
export interface DimseArchive {
  /** The AE title to call. */
  aeTitle: string;
  port: number;
  /** SOP Instance UIDs stored so far. */
  storedInstanceUids(): Promise<string[]>;
  /** Per stored study: the site it came from (the calling AE's), its modalities and description. */
  storedStudies(): Promise<
    { studyUid: string; siteId: string | null; modalities: string; description: string | null }[]
  >;
  close(): Promise<void>;
}

/**
 * Starts a DimseServer wired as main.ts wires it (calling AE -> site -> actor, ingest into the archive),
 * without the HTTP app, so DIMSE clients can be tested against the real store. `sites` maps site ids to
 * the AE titles they call from; any other calling AE is rejected. Always `await close()` in a finally.
 */
export async function startDimseArchive(options: {
  sites: { id: string; aeTitles: string[] }[];
  maxPduLengthBytes?: number;
}): Promise<DimseArchive> {
  const sqlite = (await storeCases()).find((c) => c.name === 'sqlite')!;
  const env = await sqlite.open();
  try {
    const services = await archiveServices(env);
    const { ingest, query } = services;
    // DimseServer records audit events without waiting (a rejected association's, for one) and its close()
    // does not wait for them either; closing the database under one in flight hangs the SQLite worker.
    const auditing = new Set<Promise<void>>();
    const audit: AuditSink = {
      record(event) {
        const p = services.audit.record(event);
        auditing.add(p);
        const forget = () => auditing.delete(p);
        p.then(forget, forget);
        return p;
      },
    };
    const siteByAe = new Map<string, string>();
    for (const s of options.sites) for (const ae of s.aeTitles) siteByAe.set(ae, s.id);
    const aeTitle = 'CONFER';
    const server = new DimseServer({
      aeTitle,
      port: 0,
      ...(options.maxPduLengthBytes ? { maxPduLengthBytes: options.maxPduLengthBytes } : {}),
      resolveCallingAe: (callingAe): { actor: Actor } | null => {
        const siteId = siteByAe.get(callingAe);
        if (!siteId) return null;
        return { actor: { kind: 'ae', id: callingAe, name: callingAe, roles: [Role.Modality], siteId } };
      },
      ingest,
      query,
      audit,
    });
    const port = await server.listen();
    return {
      aeTitle,
      port,
      async storedInstanceUids() {
        const rows = await env.store.db.selectFrom('instances').select('sop_instance_uid').execute();
        return rows.map((r) => r.sop_instance_uid);
      },
      async storedStudies() {
        const rows = await env.store.db
          .selectFrom('studies')
          .select(['study_uid', 'site_id', 'modalities', 'description'])
          .execute();
        return rows.map((r) => ({
          studyUid: r.study_uid,
          siteId: r.site_id,
          modalities: r.modalities,
          description: r.description,
        }));
      },
      async close() {
        try {
          await server.close({ graceMs: 2_000 });
          await ingest.drain();
          await Promise.allSettled([...auditing]);
        } finally {
          await env.cleanup();
        }
      },
    };
  } catch (err) {
    await env.cleanup();
    throw err;
  }
}
