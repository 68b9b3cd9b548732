import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';

/**
 * A minimal SMTP client (RFC 5321) for plain-text notifications: one connection per message, EHLO, MAIL,
 * RCPT, DATA, QUIT. No STARTTLS or AUTH: Confer hands mail to a relay on the hospital network (a local
 * Postfix, an Exchange connector) that is trusted by address and does the onward delivery.
 */

export interface SmtpOptions {
  host: string;
  port: number;
  /** The envelope and header sender, e.g. confer@hospital.example. */
  from: string;
  /** The name Confer gives in EHLO. */
  heloName?: string;
  timeoutMs?: number;
}

export interface MailMessage {
  to: string;
  subject: string;
  /** Plain text; lines are sent with CRLF endings. */
  text: string;
  /** Extra headers, e.g. X-Confer-Critical-Result. ASCII only. */
  headers?: Record<string, string>;
}

/** A refusal or a broken conversation: the SMTP reply code when the server gave one. */
export class SmtpError extends Error {
  readonly replyCode: number | undefined;
  constructor(message: string, replyCode?: number) {
    super(message);
    this.name = 'SmtpError';
    this.replyCode = replyCode;
  }
}

/** Reads SMTP replies off a socket: a reply ends at a line whose code is followed by a space (RFC 5321 4.2.1). */
class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting: ((r: { code: number; text: string }) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  private error: Error | undefined;
  private readonly ready: { code: number; text: string }[] = [];

  constructor(socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at = this.buffer.indexOf('\r\n');
      while (at >= 0) {
        const line = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 2);
        this.lines.push(line);
        if (/^\d{3}(?: |$)/.test(line)) {
          const reply = {
            code: Number(line.slice(0, 3)),
            text: this.lines.map((l) => l.slice(4)).join('\n'),
          };
          this.lines = [];
          this.ready.push(reply);
        }
        at = this.buffer.indexOf('\r\n');
      }
      this.flush();
    });
    const fail = (e: Error) => {
      this.error ??= e;
      this.flush();
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new SmtpError('the SMTP server closed the connection')));
  }

  private flush() {
    if (!this.waiting) return;
    const next = this.ready.shift();
    if (next) {
      const w = this.waiting;
      this.waiting = undefined;
      this.failed = undefined;
      w(next);
    } else if (this.error) {
      const f = this.failed!;
      this.waiting = undefined;
      this.failed = undefined;
      f(this.error);
    }
  }

  next(): Promise<{ code: number; text: string }> {
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      this.flush();
    });
  }
}

/** RFC 5322 header values must be one line; a newline in a subject would start a new header. */
function headerValue(v: string): string {
  return v.replace(/[\r\n]+/g, ' ').trim();
}

/** The message as DATA carries it: headers, blank line, body with CRLF line ends and dot-stuffing (4.5.2). */
export function formatMessage(from: string, message: MailMessage, now: Date, domain: string): string {
  const headers: [string, string][] = [
    ['From', from],
    ['To', message.to],
    ['Subject', message.subject],
    ['Date', now.toUTCString().replace('GMT', '+0000')],
    ['Message-ID', `<${randomBytes(12).toString('hex')}@${domain}>`],
    ['MIME-Version', '1.0'],
    ['Content-Type', 'text/plain; charset=utf-8'],
    ['Content-Transfer-Encoding', '8bit'],
    ...Object.entries(message.headers ?? {}),
  ];
  const head = headers.map(([k, v]) => `${k}: ${headerValue(v)}`).join('\r\n');
  const body = message.text
    .replace(/\r?\n/g, '\r\n')
    .split('\r\n')
    .map((l) => (l.startsWith('.') ? `.${l}` : l))
    .join('\r\n');
  return `${head}\r\n\r\n${body}\r\n`;
}

/** Sends one message; resolves when the server accepted it for delivery (250 after DATA). */
export async function sendMail(
  options: SmtpOptions,
  message: MailMessage,
  now: Date = new Date(),
): Promise<void> {
  if (/[\r\n<>]/.test(message.to) || /[\r\n<>]/.test(options.from))
    throw new SmtpError('addresses must not contain line breaks or angle brackets');
  const socket = createConnection({ host: options.host, port: options.port });
  socket.setTimeout(options.timeoutMs ?? 10_000, () =>
    socket.destroy(
      new SmtpError(`no answer from ${options.host}:${options.port} in ${options.timeoutMs ?? 10_000} ms`),
    ),
  );
  const replies = new ReplyReader(socket);
  const expect = async (what: string, ok: (code: number) => boolean) => {
    const r = await replies.next();
    if (!ok(r.code)) throw new SmtpError(`SMTP ${what} refused: ${r.code} ${r.text}`, r.code);
    return r;
  };
  const send = (line: string) => socket.write(`${line}\r\n`);
  const domain = options.from.split('@')[1] ?? 'confer.invalid';
  try {
    await expect('greeting', (c) => c === 220);
    send(`EHLO ${options.heloName ?? domain}`);
    await expect('EHLO', (c) => c === 250);
    send(`MAIL FROM:<${options.from}>`);
    await expect('MAIL FROM', (c) => c === 250);
    send(`RCPT TO:<${message.to}>`);
    await expect('RCPT TO', (c) => c === 250 || c === 251);
    send('DATA');
    await expect('DATA', (c) => c === 354);
    socket.write(`${formatMessage(options.from, message, now, domain)}.\r\n`);
    await expect('message', (c) => c === 250);
    send('QUIT');
    await replies.next().catch(() => undefined);
  } finally {
    socket.destroy();
  }
}
