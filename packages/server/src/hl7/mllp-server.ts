import { createServer, type Server, type Socket } from 'node:net';
import { AckCode } from './ack.ts';
import { hl7DateTime, parseMessage, writeMessage, writeSegment } from './message.ts';
import { frameMessage, MllpDecoder } from './mllp.ts';

/** What a receiver answers to one message: an ACK code and, for refusals, the reason (MSA-3). */
export interface MllpAnswer {
  code: 'AA' | 'AE' | 'AR';
  text?: string;
}

/**
 * Builds the original-mode ACK for a received message (v2.5.1 2.9.2): MSH with sender and receiver swapped,
 * MSA-1 the code and MSA-2 the received MSH-10, MSA-3 the reason for a refusal.
 */
export function buildAck(
  received: string,
  answer: MllpAnswer,
  options: { controlId: string; now: number },
): string {
  let msh: ReturnType<ReturnType<typeof parseMessage>['segment']>;
  try {
    msh = parseMessage(received).segment('MSH');
  } catch {
    msh = undefined;
  }
  return writeMessage([
    writeSegment('MSH', [
      msh?.get(5) ?? '',
      msh?.get(6) ?? '',
      msh?.get(3) ?? '',
      msh?.get(4) ?? '',
      hl7DateTime(options.now),
      undefined,
      ['ACK', msh?.get(9, 2) ?? '', 'ACK'],
      options.controlId,
      msh?.get(11) || 'P',
      msh?.get(12) || '2.5.1',
    ]),
    writeSegment('MSA', [
      answer.code,
      msh?.get(10) ?? '',
      answer.code === AckCode.ApplicationAccept ? undefined : answer.text,
    ]),
  ]);
}

export interface MllpServerOptions {
  host: string;
  port: number;
  /** Decides the answer to each message; a throw answers AE with the error's message. */
  onMessage: (message: string) => MllpAnswer | Promise<MllpAnswer>;
  now?: () => number;
}

/**
 * A small MLLP receiver: frames in, one ACK out per message, in order, per connection. The demo's RIS runs
 * on it; inbound HL7 (orders, ADT) will too.
 */
export class MllpServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly options: MllpServerOptions;
  private ackSeq = 0;

  constructor(options: MllpServerOptions) {
    this.options = options;
    this.server = createServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new MllpDecoder({ maxFrameBytes: 4 * 1024 * 1024 });
    // Answers go out in the order messages came in, even when a handler is slow.
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      let messages: string[];
      try {
        messages = decoder.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const message of messages) {
        chain = chain.then(async () => {
          let answer: MllpAnswer;
          try {
            answer = await this.options.onMessage(message);
          } catch (err) {
            answer = { code: 'AE', text: (err as Error).message };
          }
          const now = this.options.now?.() ?? Date.now();
          if (socket.writable)
            socket.write(frameMessage(buildAck(message, answer, { controlId: `ACK${++this.ackSeq}`, now })));
        });
      }
    });
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : this.options.port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
