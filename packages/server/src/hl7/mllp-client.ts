import { connect, type Socket } from 'node:net';
import { frameMessage, MllpDecoder } from './mllp.ts';

export const MllpFailure = {
  ConnectTimeout: 'connect-timeout',
  ConnectFailed: 'connect-failed',
  AckTimeout: 'ack-timeout',
  Closed: 'closed',
  Protocol: 'protocol',
} as const;
export type MllpFailure = (typeof MllpFailure)[keyof typeof MllpFailure];

/** A transport failure: nothing (or nothing usable) came back, so the receiver's state is unknown. */
export class MllpError extends Error {
  readonly failure: MllpFailure;
  constructor(failure: MllpFailure, message: string) {
    super(message);
    this.name = 'MllpError';
    this.failure = failure;
  }
}

export interface MllpSendOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  /** How long to wait for the acknowledgment once the message is written. */
  ackTimeoutMs: number;
}

/**
 * Sends one message on its own connection and resolves with the first message that comes back (the ACK),
 * then closes. One message per connection keeps a late ACK of an earlier attempt from being taken for
 * this one's, and leaves nothing half-open between retries.
 */
export function sendMllp(message: string, options: MllpSendOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new MllpDecoder();
    let settled = false;
    let connected = false;
    let socket: Socket | undefined;
    const finish = (err: Error | undefined, ack?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.removeAllListeners('data');
      socket?.destroy();
      if (err) reject(err);
      else resolve(ack!);
    };
    let timer = setTimeout(
      () =>
        finish(
          new MllpError(
            MllpFailure.ConnectTimeout,
            `no connection to ${options.host}:${options.port} within ${options.connectTimeoutMs} ms`,
          ),
        ),
      options.connectTimeoutMs,
    );
    socket = connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      connected = true;
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          finish(
            new MllpError(
              MllpFailure.AckTimeout,
              `no acknowledgment from ${options.host}:${options.port} within ${options.ackTimeoutMs} ms`,
            ),
          ),
        options.ackTimeoutMs,
      );
      socket!.write(frameMessage(message));
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        const messages = decoder.push(chunk);
        if (messages.length > 0) finish(undefined, messages[0]);
      } catch (err) {
        finish(new MllpError(MllpFailure.Protocol, (err as Error).message));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      finish(
        connected
          ? new MllpError(
              MllpFailure.Closed,
              `connection to ${options.host}:${options.port} failed: ${err.message}`,
            )
          : new MllpError(
              MllpFailure.ConnectFailed,
              `cannot connect to ${options.host}:${options.port}: ${err.code ?? err.message}`,
            ),
      );
    });
    socket.on('close', () => {
      finish(
        new MllpError(
          MllpFailure.Closed,
          `${options.host}:${options.port} closed the connection before acknowledging`,
        ),
      );
    });
  });
}
