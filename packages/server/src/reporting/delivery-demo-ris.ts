import type { Logger } from 'pino';
import { parseMessage } from '../hl7/message.ts';
import { MllpServer } from '../hl7/mllp-server.ts';
import type { Hl7DestinationConfig } from './delivery-config.ts';

export interface DemoRis {
  destination: Hl7DestinationConfig;
  close(): Promise<void>;
}

/**
 * The demo's stand-in RIS: an MLLP receiver on a free port that accepts ORU^R01 messages, refusing every
 * eighth new message once (AE) so the demo shows a retry on the Deliveries page. Only for `--demo`: a real
 * deployment points `reportDestinations` at its own RIS.
 */
export async function startDemoRis(host: string, log?: Logger): Promise<DemoRis> {
  let count = 0;
  const refusedOnce = new Set<string>();
  const server = new MllpServer({
    host,
    port: 0,
    onMessage(message) {
      const msg = parseMessage(message);
      const controlId = msg.segment('MSH')?.get(10) ?? '';
      const status = msg.segment('OBR')?.get(25) ?? '';
      if (!refusedOnce.has(controlId) && ++count % 8 === 0) {
        refusedOnce.add(controlId);
        log?.info({ controlId, status }, 'demo RIS: refusing a report once (AE), to show a retry');
        return { code: 'AE', text: 'Order not on file yet (demo RIS: refused once to show a retry)' };
      }
      log?.info({ controlId, status }, 'demo RIS: report received');
      return { code: 'AA' };
    },
  });
  const port = await server.listen();
  return {
    destination: {
      id: 'demo-ris',
      type: 'hl7-mllp',
      host,
      port,
      receivingApplication: 'DEMO-RIS',
      receivingFacility: 'DEMO',
    },
    close: () => server.close(),
  };
}
