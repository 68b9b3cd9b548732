import { createServer, type Server } from 'node:net';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The DATA section with dot-stuffing undone, CRLF line ends kept. */
  data: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * A small SMTP listener for tests (port 0): speaks just enough RFC 5321 to take messages and records them.
 * `refuseRcpt` makes it answer RCPT with 550, to test failures.
 */
export async function startSmtpSink(options: { refuseRcpt?: boolean } = {}): Promise<{
  port: number;
  messages: ReceivedMail[];
  /** Resolves once `n` messages have arrived. */
  waitFor(n: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}> {
  const messages: ReceivedMail[] = [];
  const waiters: { n: number; resolve: (m: ReceivedMail[]) => void }[] = [];
  const server: Server = createServer((socket) => {
    socket.setEncoding('utf8');
    let buffer = '';
    let inData = false;
    let from = '';
    let to: string[] = [];
    let data: string[] = [];
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 sink.test ESMTP ready');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      let at = buffer.indexOf('\r\n');
      while (at >= 0) {
        const line = buffer.slice(0, at);
        buffer = buffer.slice(at + 2);
        at = buffer.indexOf('\r\n');
        if (inData) {
          if (line === '.') {
            inData = false;
            const raw = data.join('\r\n');
            const split = raw.indexOf('\r\n\r\n');
            const headers: Record<string, string> = {};
            for (const h of raw.slice(0, split).split('\r\n')) {
              const c = h.indexOf(':');
              headers[h.slice(0, c).toLowerCase()] = h.slice(c + 1).trim();
            }
            messages.push({ from, to, data: raw, headers, body: raw.slice(split + 4) });
            for (const w of waiters.filter((w) => messages.length >= w.n)) w.resolve(messages.slice());
            reply('250 2.0.0 queued');
            to = [];
            data = [];
          } else data.push(line.startsWith('..') ? line.slice(1) : line);
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO' || verb === 'HELO') reply('250-sink.test\r\n250 8BITMIME');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          if (options.refuseRcpt) reply('550 5.1.1 no such user');
          else {
            to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
            reply('250 2.1.5 ok');
          }
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end with .');
        } else if (verb === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else reply('502 5.5.1 command not supported by this test sink');
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    messages,
    waitFor(n) {
      if (messages.length >= n) return Promise.resolve(messages.slice());
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.unref();
      }),
  };
}
