import { createServer, type Server, type Socket } from 'node:net';
import { parseMessage } from '../../src/hl7/message.ts';
import { frameMessage, MllpDecoder } from '../../src/hl7/mllp.ts';

/**
 * How the test receiver answers a message: accept (AA/CA), refuse (AE/AR/CE/CR with a reason), acknowledge
 * another message's control id, never answer, or hang up.
 */
export type ListenerAnswer = 'AA' | 'CA' | 'AE' | 'AR' | 'CE' | 'CR' | 'wrong-id' | 'silent' | 'close';

export interface MllpListener {
  port: number;
  /** Every message received, in order. */
  received: string[];
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number): Promise<void>;
  /** Changes how later messages are answered. */
  answer(a: ListenerAnswer | ((message: string, index: number) => ListenerAnswer)): void;
  close(): Promise<void>;
}

/**
 * A small MLLP receiver on port 0, standing in for a RIS: it reassembles frames, records each message and
 * answers with an ACK built from the message's MSH-10. ACKs are written in two chunks so the sender's
 * reassembly is exercised too.
 */
export async function startMllpListener(
  initial: ListenerAnswer | ((message: string, index: number) => ListenerAnswer) = 'AA',
): Promise<MllpListener> {
  let answer = initial;
  const received: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  let ackSeq = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const decoder = new MllpDecoder();
    socket.on('data', (chunk) => {
      for (const message of decoder.push(chunk)) {
        const index = received.length;
        received.push(message);
        for (const w of [...waiters])
          if (received.length >= w.count) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve();
          }
        const a = typeof answer === 'function' ? answer(message, index) : answer;
        if (a === 'silent') continue;
        if (a === 'close') {
          socket.destroy();
          continue;
        }
        const controlId = parseMessage(message).segment('MSH')?.get(10) ?? '';
        const code = a === 'wrong-id' ? 'AA' : a;
        const acked = a === 'wrong-id' ? `${controlId}X` : controlId;
        const segments = [
          `MSH|^~\\&|TESTRIS|TESTHOSP|CONFER|CONFER|20260310142001||ACK^R01^ACK|ACK${++ackSeq}|P|2.5.1`,
          code === 'AA' || code === 'CA'
            ? `MSA|${code}|${acked}`
            : `MSA|${code}|${acked}|Unknown patient \\T\\ order`,
        ];
        if (code !== 'AA' && code !== 'CA')
          segments.push('ERR||PID^1^3|204^Unknown key identifier^HL70357|E||||Order ACC not on file');
        const frame = frameMessage(`${segments.join('\r')}\r`);
        const cut = Math.floor(frame.length / 2);
        socket.write(frame.subarray(0, cut));
        setImmediate(() => socket.writable && socket.write(frame.subarray(cut)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    received,
    waitFor(count) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    answer(a) {
      answer = a;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
