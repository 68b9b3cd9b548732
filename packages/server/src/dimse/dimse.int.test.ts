// End-to-end tests of the DIMSE server against dcmtk's echoscu, storescu, dcmsend and findscu, with small
// in-test implementations of the archive ports. The test against the real store lives elsewhere.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  type AuditEvent,
  type IngestService,
  QueryError,
  QueryErrorCode,
  type QueryInput,
  QueryLevel,
  type QueryOutput,
  type QueryService,
  StoreFailure,
  type StoreInput,
  type StoreOutcome,
} from '../archive/ports.ts';
import { readDataset } from '../dicom/dataset-reader.ts';
import { encodeDataset } from '../dicom/dataset-writer.ts';
import { type DicomJsonDataset, firstString } from '../dicom/dicom-json.ts';
import { readPart10Header } from '../dicom/part10.ts';
import { Tag } from '../dicom/tags.ts';
import { TransferSyntax } from '../dicom/transfer-syntax.ts';
import { SopClass } from './association.ts';
import { rawQueryValue } from './c-find.ts';
import {
  CommandField,
  type CommandFields,
  type DimseCommand,
  decodeCommand,
  encodeCommand,
  encodeMessage,
  Status,
} from './dimse-message.ts';
import { AbortReason } from './errors.ts';
import {
  type AAssociateAc,
  DICOM_APPLICATION_CONTEXT_NAME,
  decodePdu,
  encodePdu,
  type Pdu,
  PduType,
  type PresentationContextProposal,
  PresentationRejectReason,
  RejectResult,
  RejectSource,
} from './pdu.ts';
import { DimseServer, type DimseServerOptions } from './server.ts';

const fixtures = join(import.meta.dirname, '../../test/fixtures/pydicom');
const dcmtk = spawnSync('echoscu', ['--version']).status === 0;
const required = process.env.CONFER_REQUIRE_INTEGRATION === '1';
const skip = dcmtk || required ? false : 'dcmtk not installed';
const opts = { skip, timeout: 30_000 };

/** A test that drives dcmtk: skipped without it, and failing at once when CONFER_REQUIRE_INTEGRATION=1. */
function dcmtkTest(name: string, fn: () => Promise<void> | void): void {
  test(name, opts, async () => {
    assert.ok(dcmtk, 'dcmtk (echoscu, storescu, dcmsend, findscu) is not on PATH');
    await fn();
  });
}
/** For tests that drive the server with a raw socket only: they need no dcmtk. */
const rawOpts = { timeout: 30_000 };

// ---------------------------------------------------------------------------------------------------------
// Test doubles of the archive ports

interface Received {
  input: Omit<StoreInput, 'body'>;
  bytes: Buffer;
}

/** Per call: consume and succeed, or return this outcome / throw, after an optional wait. */
type Behaviour = (
  input: StoreInput,
  index: number,
) => Promise<'consume' | StoreOutcome> | 'consume' | StoreOutcome;

/** Writes every body it is given to a file in `dir` and records it. */
class RecordingIngest implements IngestService {
  readonly received: Received[] = [];
  behaviour: Behaviour = () => 'consume';
  onStore: ((input: StoreInput) => void) | null = null;
  private calls = 0;
  private readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  async store(input: StoreInput): Promise<StoreOutcome> {
    const index = this.calls++;
    this.onStore?.(input);
    const b = await this.behaviour(input, index);
    if (b !== 'consume') return b;
    const path = join(this.dir, `${index}-${input.sopInstanceUid}.bin`);
    const out = createWriteStream(path);
    let size = 0;
    for await (const chunk of input.body) {
      size += chunk.byteLength;
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const { body: _, ...rest } = input;
    this.received.push({ input: rest, bytes: await readFile(path) });
    return {
      ok: true,
      duplicate: false,
      sopClassUid: input.sopClassUid!,
      sopInstanceUid: input.sopInstanceUid!,
      studyUid: '',
      seriesUid: '',
      transferSyntaxUid: input.transferSyntaxUid!,
      sizeBytes: size,
    };
  }
}

const PATIENT_TAGS = [Tag.PatientName, Tag.PatientID, Tag.PatientBirthDate, Tag.PatientSex];
const STUDY_TAGS = [
  Tag.StudyInstanceUID,
  Tag.StudyDate,
  Tag.StudyTime,
  Tag.AccessionNumber,
  Tag.StudyID,
  Tag.StudyDescription,
  Tag.ReferringPhysicianName,
];
const SERIES_TAGS = [Tag.SeriesInstanceUID, Tag.Modality, Tag.SeriesNumber, Tag.SeriesDescription];
const IMAGE_TAGS = [Tag.SOPInstanceUID, Tag.SOPClassUID, Tag.InstanceNumber];

function pick(ds: DicomJsonDataset, tags: readonly string[]): DicomJsonDataset {
  const out: DicomJsonDataset = {};
  for (const t of tags) if (ds[t]) out[t] = ds[t];
  return out;
}

/** Records per level, as an archive indexes them: every level carries the attributes of the levels above. */
function buildIndex(instances: DicomJsonDataset[]): Record<QueryLevel, DicomJsonDataset[]> {
  const patients = new Map<string, DicomJsonDataset>();
  const studies = new Map<string, DicomJsonDataset>();
  const series = new Map<string, DicomJsonDataset>();
  const images: DicomJsonDataset[] = [];
  for (const ds of instances) {
    const patient = pick(ds, PATIENT_TAGS);
    const study = { ...patient, ...pick(ds, STUDY_TAGS) };
    const serie = { ...study, ...pick(ds, SERIES_TAGS) };
    patients.set(firstString(ds, Tag.PatientID) ?? '', patient);
    const studyUid = firstString(ds, Tag.StudyInstanceUID)!;
    const s = studies.get(studyUid) ?? { ...study, [Tag.ModalitiesInStudy]: { vr: 'CS', Value: [] } };
    const modality = firstString(ds, Tag.Modality);
    if (modality && !s[Tag.ModalitiesInStudy]!.Value!.includes(modality))
      s[Tag.ModalitiesInStudy]!.Value!.push(modality);
    studies.set(studyUid, s);
    series.set(firstString(ds, Tag.SeriesInstanceUID)!, serie);
    images.push({ ...serie, ...pick(ds, IMAGE_TAGS) });
  }
  return {
    [QueryLevel.Patient]: [...patients.values()],
    [QueryLevel.Study]: [...studies.values()],
    [QueryLevel.Series]: [...series.values()],
    [QueryLevel.Image]: images,
  };
}

function matchesKey(el: DicomJsonDataset[string] | undefined, raw: string): boolean {
  const value = el ? rawQueryValue(el) : '';
  return raw.split('\\').some((alt) => {
    if (/[*?]/.test(alt)) {
      const re = new RegExp(
        `^${alt
          .replace(/[.+^${}()|[\]]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      return re.test(value);
    }
    if (/^\d{8}-\d{8}$/.test(alt)) {
      const [from, to] = alt.split('-') as [string, string];
      return value >= from && value <= to;
    }
    return value === alt;
  });
}

/** Matches keys against an in-memory index, like the archive's query service; unknown keys are ignored. */
class ArrayQueryService implements QueryService {
  readonly inputs: QueryInput[] = [];
  onQuery: ((input: QueryInput) => Promise<void> | void) | null = null;
  private readonly index: Record<QueryLevel, DicomJsonDataset[]>;

  constructor(index: Record<QueryLevel, DicomJsonDataset[]>) {
    this.index = index;
  }

  async query(input: QueryInput): Promise<QueryOutput> {
    this.inputs.push(input);
    await this.onQuery?.(input);
    const records = this.index[input.level];
    const known = new Set(records.flatMap((r) => Object.keys(r)));
    const ignoredKeys: string[] = [];
    for (const [tag, raw] of Object.entries(input.keys)) {
      if (tag === Tag.StudyDate && !/^[\d-]*$/.test(raw)) {
        throw new QueryError(QueryErrorCode.InvalidKey, `"${raw}" is not a date or a date range`, tag);
      }
      if (!known.has(tag)) ignoredKeys.push(tag);
    }
    const matches = records.filter((r) =>
      Object.entries(input.keys).every(([tag, raw]) => !known.has(tag) || matchesKey(r[tag], raw)),
    );
    return { matches, more: false, ignoredKeys };
  }
}

class AuditCollector {
  readonly events: AuditEvent[] = [];
  async record(event: AuditEvent): Promise<void> {
    this.events.push(event);
  }
}

interface LogEntry {
  level: string;
  obj: object;
  msg: string;
}

class LogCollector {
  readonly entries: LogEntry[] = [];
  private readonly waiters: { match: (e: LogEntry) => boolean; resolve: (e: LogEntry) => void }[] = [];
  private add(level: string, obj: object, msg: string): void {
    const e = { level, obj, msg };
    this.entries.push(e);
    for (const w of [...this.waiters]) {
      if (w.match(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  }
  info = (obj: object, msg: string) => this.add('info', obj, msg);
  warn = (obj: object, msg: string) => this.add('warn', obj, msg);
  error = (obj: object, msg: string) => this.add('error', obj, msg);
  /** Resolves with the first entry from now on whose message matches. */
  next(pattern: RegExp): Promise<LogEntry> {
    return new Promise((resolve) => this.waiters.push({ match: (e) => pattern.test(e.msg), resolve }));
  }
  count(pattern: RegExp): number {
    return this.entries.filter((e) => pattern.test(e.msg)).length;
  }
}

// ---------------------------------------------------------------------------------------------------------
// dcmtk and a raw peer

interface RunResult {
  code: number | null;
  output: string;
  ms: number;
}

/** Runs a dcmtk tool; TCP_NODELAY=1 keeps dcmtk from waiting on Nagle's algorithm. */
function run(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, TCP_NODELAY: '1' }, cwd });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output, ms: performance.now() - started }));
  });
}

/** A hand-driven peer, for what dcmtk cannot be made to do: garbage, silence, cancels, oversized PDUs. */
class RawPeer {
  private buffer = Buffer.alloc(0);
  private readonly pdus: Pdu[] = [];
  private waiter: ((pdu: Pdu | null) => void) | null = null;
  private ended = false;
  readonly socket: Socket;
  readonly closed: Promise<void>;

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.byteLength >= 6) {
        const length = this.buffer.readUInt32BE(2);
        if (this.buffer.byteLength < 6 + length) break;
        this.pdus.push(decodePdu(Buffer.from(this.buffer.subarray(0, 6 + length))));
        this.buffer = this.buffer.subarray(6 + length);
      }
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.closed = once(socket, 'close').then(() => {});
  }

  private wake(): void {
    if (!this.waiter) return;
    const pdu = this.pdus.shift();
    if (pdu || this.ended) {
      const w = this.waiter;
      this.waiter = null;
      w(pdu ?? null);
    }
  }

  /** The next PDU, or null once the server has closed its side. */
  next(): Promise<Pdu | null> {
    const pdu = this.pdus.shift();
    if (pdu) return Promise.resolve(pdu);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async associate(
    contexts: PresentationContextProposal[],
    callingAeTitle = 'RAWPEER',
  ): Promise<AAssociateAc> {
    this.send(
      encodePdu({
        type: PduType.AAssociateRq,
        protocolVersion: 1,
        calledAeTitle: 'CONFER',
        callingAeTitle,
        applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
        presentationContexts: contexts,
        userInformation: {
          maxLengthBytes: 16384,
          implementationClassUid: '1.2.3',
          roleSelections: [],
          otherItems: [],
        },
      }),
    );
    const ac = await this.next();
    assert.equal(ac?.type, PduType.AAssociateAc, 'association accepted');
    return ac as AAssociateAc;
  }

  sendMessage(contextId: number, command: CommandFields, dataset?: Uint8Array): void {
    this.send(encodeMessage(contextId, encodeCommand(command), dataset, 16384));
  }

  /** The next DIMSE message, assuming (as Confer sends them) whole fragments, one PDV per PDU. */
  async nextMessage(): Promise<{ command: DimseCommand; dataset?: Uint8Array }> {
    const commandPdu = await this.next();
    assert.equal(commandPdu?.type, PduType.PDataTf);
    const pdv = (commandPdu as Extract<Pdu, { type: 4 }>).pdvs[0]!;
    const command = decodeCommand(pdv.data);
    if (!command.hasDataSet) return { command };
    const dataPdu = (await this.next()) as Extract<Pdu, { type: 4 }>;
    return { command, dataset: dataPdu.pdvs[0]!.data };
  }
}

const echoContext = {
  id: 1,
  abstractSyntax: SopClass.Verification,
  transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian],
};
const findContext = {
  id: 3,
  abstractSyntax: SopClass.StudyRootQueryRetrieveInformationModelFind,
  transferSyntaxes: [TransferSyntax.ImplicitVRLittleEndian],
};

// ---------------------------------------------------------------------------------------------------------
// The shared server

const MODALITY_AES = new Set(['STORESCU', 'ECHOSCU', 'FINDSCU', 'DCMSEND', 'RAWPEER']);
let workDir = '';
let ingest: RecordingIngest;
let query: ArrayQueryService;
let audit: AuditCollector;
let logs: LogCollector;
let server: DimseServer;
let port = 0;
let index: Record<QueryLevel, DicomJsonDataset[]>;

/** The fixture's data set: the file minus its Part 10 header (rtstruct.dcm has none). */
async function fixtureDataset(name: string): Promise<{ bytes: Buffer; transferSyntaxUid: string }> {
  const file = await readFile(join(fixtures, name));
  if (name === 'rtstruct.dcm')
    return { bytes: file, transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian };
  const header = readPart10Header(file);
  return { bytes: file.subarray(header.datasetOffset), transferSyntaxUid: header.transferSyntaxUid };
}

const NON_ASCII_STUDY = '1.2.826.0.1.3680043.8.498.7001';

function serverOptions(overrides: Partial<DimseServerOptions> = {}): DimseServerOptions {
  return {
    aeTitle: 'CONFER',
    port: 0,
    maxAssociations: 8,
    associationTimeoutMs: 5_000,
    idleTimeoutMs: 10_000,
    resolveCallingAe: (ae) =>
      MODALITY_AES.has(ae)
        ? { actor: { kind: 'ae', id: ae, name: ae, roles: ['modality'], siteId: 'site-1' } }
        : null,
    // Delegate to the current doubles, which each test may replace.
    ingest: { store: (input) => ingest.store(input) },
    query: { query: (input) => query.query(input) },
    audit: { record: (e) => audit.record(e) },
    logger: {
      info: (o, m) => logs.info(o, m),
      warn: (o, m) => logs.warn(o, m),
      error: (o, m) => logs.error(o, m),
    },
    ...overrides,
  };
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'confer-dimse-'));
  const instances: DicomJsonDataset[] = [];
  for (const name of [
    'CT_small.dcm',
    'MR_small.dcm',
    'JPEG2000.dcm',
    'rtplan.dcm',
    'rtdose.dcm',
    'SC_rgb_rle_2frame.dcm',
  ]) {
    const { bytes, transferSyntaxUid } = await fixtureDataset(name);
    instances.push(readDataset(bytes, transferSyntaxUid, { stopAtPixelData: true }).dataset);
  }
  const unicode = (series: string, modality: string): DicomJsonDataset => ({
    [Tag.PatientName]: { vr: 'PN', Value: [{ Alphabetic: 'Müller^Jörg' }] },
    [Tag.PatientID]: { vr: 'LO', Value: ['UTF8-1'] },
    [Tag.StudyInstanceUID]: { vr: 'UI', Value: [NON_ASCII_STUDY] },
    [Tag.StudyDate]: { vr: 'DA', Value: ['20240101'] },
    [Tag.StudyDescription]: { vr: 'LO', Value: ['Schädel'] },
    [Tag.SeriesInstanceUID]: { vr: 'UI', Value: [`${NON_ASCII_STUDY}.${series}`] },
    [Tag.Modality]: { vr: 'CS', Value: [modality] },
    [Tag.SeriesNumber]: { vr: 'IS', Value: [Number(series)] },
    [Tag.SOPInstanceUID]: { vr: 'UI', Value: [`${NON_ASCII_STUDY}.${series}.1`] },
  });
  instances.push(unicode('1', 'CT'), unicode('2', 'SR'));
  index = buildIndex(instances);
  audit = new AuditCollector();
  logs = new LogCollector();
  ingest = new RecordingIngest(workDir);
  query = new ArrayQueryService(index);
  server = new DimseServer(serverOptions());
  port = await server.listen();
});

after(async () => {
  await server.close({ graceMs: 1000 });
  await rm(workDir, { recursive: true, force: true });
});

/** Fresh doubles for one test. */
function reset(): void {
  ingest = new RecordingIngest(workDir);
  query = new ArrayQueryService(index);
  audit = new AuditCollector();
}

const peer = (p = port) => ['-aec', 'CONFER', '127.0.0.1', String(p)];

// ---------------------------------------------------------------------------------------------------------

dcmtkTest('dcmtk is installed (required when CONFER_REQUIRE_INTEGRATION=1)', () => {
  assert.ok(dcmtk, 'echoscu is not on PATH');
});

dcmtkTest('C-ECHO succeeds and the association is released', async () => {
  reset();
  const released = logs.next(/association released/);
  const r = await run('echoscu', ['-aet', 'ECHOSCU', ...peer()]);
  assert.equal(r.code, 0, r.output);
  await released;
});

test('the server binds only to its host', rawOpts, async () => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!external) return; // no other interface to try
  const socket = connect({ host: external.address, port });
  const [err] = (await once(socket, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
});

dcmtkTest('an unknown calling AE is refused at once, and the refusal is audited', async () => {
  reset();
  const r = await run('echoscu', ['-aet', 'STRANGER', ...peer()]);
  assert.notEqual(r.code, 0);
  assert.match(r.output, /Rejected Permanent/);
  assert.match(r.output, /Calling AE Title Not Recognized/);
  assert.ok(r.ms < 5_000, `refused in ${r.ms} ms`);
  assert.equal(audit.events.length, 1);
  const [e] = audit.events;
  assert.equal(e!.action, 'association-rejected');
  assert.equal(e!.outcome, 'denied');
  assert.deepEqual(e!.actor, { kind: 'ae', id: 'STRANGER', name: 'STRANGER' });
  assert.equal(e!.origin.callingAe, 'STRANGER');
});

dcmtkTest('a request for another called AE title is refused (reason 7)', async () => {
  reset();
  const r = await run('echoscu', ['-aet', 'ECHOSCU', '-aec', 'SOMEONE', '127.0.0.1', String(port)]);
  assert.notEqual(r.code, 0);
  assert.match(r.output, /Called AE Title Not Recognized/);
});

/** storescu -R keeps explicit little and big endian files as they are. */
const EXPLICIT = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_bigendian.dcm',
  'liver_1frame.dcm',
  'test-SR.dcm',
  'waveform_ecg.dcm',
];
/** storescu -xi proposes implicit VR little endian only, which these files (rtstruct.dcm: a bare data set) use. */
const IMPLICIT = ['MR_small_implicit.dcm', 'rtdose.dcm', 'rtplan.dcm', 'rtstruct.dcm'];
/** dcmsend proposes each file's own (compressed) transfer syntax. */
const COMPRESSED = [
  'JPEG-lossy.dcm',
  'JPEG2000.dcm',
  'MR_small_RLE.dcm',
  'MR_small_jpeg_ls_lossless.dcm',
  'SC_rgb_rle_2frame.dcm',
  'image_dfl.dcm',
];
/**
 * Files dcmtk sends exactly as stored. dcmtk re-encodes the others on the way out: it drops the trailing
 * padding (FFFC,FFFC), writes undefined-length sequences with explicit lengths, and re-deflates.
 */
const SENT_UNCHANGED = new Set([
  'MR_small_bigendian.dcm',
  'test-SR.dcm',
  'MR_small_implicit.dcm',
  'rtdose.dcm',
  'rtplan.dcm',
  'SC_rgb_rle_2frame.dcm',
]);

/** What dcmtk's re-encoding keeps: every attribute's value, and the pixel data element byte for byte. */
function assertSameContent(name: string, got: Buffer, file: Buffer, transferSyntaxUid: string): void {
  const full = (b: Buffer) => {
    const ds = readDataset(b, transferSyntaxUid, { inlineBinaryMaxBytes: Number.MAX_SAFE_INTEGER }).dataset;
    delete ds.FFFCFFFC; // data set trailing padding (PS3.10 7.2), which dcmtk does not send
    // dcmtk corrects the VR of encapsulated pixel data to OB (PS3.5 A.4); the value is compared below.
    if (ds['7FE00010']) ds['7FE00010'] = { ...ds['7FE00010'], vr: 'OB' };
    return ds;
  };
  assert.deepEqual(full(got), full(file), `${name}: same attributes and values`);
  if (transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) return;
  const pixels = (b: Buffer) => {
    const r = readDataset(b, transferSyntaxUid, { stopAtPixelData: true });
    return r.stoppedAtPixelData ? b.subarray(r.endOffset) : null;
  };
  const [a, b] = [pixels(got), pixels(file)];
  if (!b) {
    assert.equal(a, null);
    return;
  }
  assert.ok(a, `${name} has pixel data`);
  // Compare the tag and the value, not the VR.
  const explicit = transferSyntaxUid !== TransferSyntax.ImplicitVRLittleEndian;
  const valueAt = explicit ? 12 : 8;
  assert.ok(a.subarray(0, 4).equals(b.subarray(0, 4)));
  const value = a.subarray(valueAt);
  assert.ok(
    b.subarray(valueAt, valueAt + value.byteLength).equals(value),
    `${name}: pixel data byte for byte`,
  );
  const rest = b.subarray(valueAt + value.byteLength);
  assert.ok(
    rest.byteLength === 0 || readDataset(rest, transferSyntaxUid).dataset.FFFCFFFC,
    'only padding left out',
  );
}

/**
 * Runs `fn` against a TCP proxy in front of `target` that records what the peer sends, and returns the data
 * sets as they crossed the wire: the data fragments of each message, joined.
 */
async function onTheWire(target: number, fn: (proxyPort: number) => Promise<void>): Promise<Buffer[]> {
  const sent: Buffer[] = [];
  const proxy = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: target });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on('data', (d: Buffer) => sent.push(d));
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  try {
    await fn((proxy.address() as AddressInfo).port);
  } finally {
    await new Promise((resolve) => proxy.close(resolve));
  }
  const stream = Buffer.concat(sent);
  const datasets: Buffer[] = [];
  let fragments: Uint8Array[] = [];
  for (let o = 0; o < stream.byteLength; ) {
    const end = o + 6 + stream.readUInt32BE(o + 2);
    const pdu = decodePdu(stream.subarray(o, end));
    o = end;
    if (pdu.type !== PduType.PDataTf) continue;
    for (const pdv of pdu.pdvs.filter((p) => !p.isCommand)) {
      fragments.push(pdv.data);
      if (pdv.isLast) {
        datasets.push(Buffer.concat(fragments));
        fragments = [];
      }
    }
  }
  return datasets;
}

async function assertStoredAsSent(names: string[], wire?: Buffer[]): Promise<void> {
  if (wire) {
    assert.equal(wire.length, ingest.received.length);
    for (const [i, bytes] of wire.entries()) {
      assert.ok(
        ingest.received[i]!.bytes.equals(bytes),
        `${names[i]}: the ingest got exactly the bytes sent`,
      );
    }
  }
  assert.equal(ingest.received.length, names.length);
  for (const [i, name] of names.entries()) {
    const { bytes, transferSyntaxUid } = await fixtureDataset(name);
    const got = ingest.received[i]!;
    const sent = readDataset(bytes, transferSyntaxUid, { stopAtPixelData: true }).dataset;
    assert.equal(got.input.framing, 'dataset');
    assert.equal(got.input.transferSyntaxUid, transferSyntaxUid, `${name} kept its transfer syntax`);
    assert.equal(got.input.sopInstanceUid, firstString(sent, Tag.SOPInstanceUID), name);
    assert.equal(got.input.sopClassUid, firstString(sent, Tag.SOPClassUID), name);
    assert.equal(got.input.origin.protocol, 'dimse');
    assert.equal(got.input.actor.siteId, 'site-1');
    if (SENT_UNCHANGED.has(name)) {
      assert.ok(got.bytes.equals(bytes), `${name}: the bytes received are the file's data set`);
    } else assertSameContent(name, got.bytes, bytes, transferSyntaxUid);
  }
}

dcmtkTest('storescu: uncompressed fixtures arrive as sent, in their own transfer syntax', async () => {
  reset();
  const before = logs.count(/association accepted/);
  const explicit = await onTheWire(port, async (p) => {
    const r = await run('storescu', [
      '-R',
      '-aet',
      'STORESCU',
      ...peer(p),
      ...EXPLICIT.map((n) => join(fixtures, n)),
    ]);
    assert.equal(r.code, 0, r.output);
  });
  assert.equal(logs.count(/association accepted/) - before, 1, 'one association for all files');
  await assertStoredAsSent(EXPLICIT, explicit);
  reset();
  const implicit = await onTheWire(port, async (p) => {
    const r = await run('storescu', [
      '-xi',
      '-aet',
      'STORESCU',
      ...peer(p),
      ...IMPLICIT.map((n) => join(fixtures, n)),
    ]);
    assert.equal(r.code, 0, r.output);
  });
  await assertStoredAsSent(IMPLICIT, implicit);
});

dcmtkTest('dcmsend: compressed and deflated fixtures arrive as sent', async () => {
  reset();
  const wire = await onTheWire(port, async (p) => {
    const r = await run('dcmsend', [
      '-aet',
      'DCMSEND',
      ...peer(p),
      ...COMPRESSED.map((n) => join(fixtures, n)),
    ]);
    assert.equal(r.code, 0, r.output);
  });
  await assertStoredAsSent(COMPRESSED, wire);
});

dcmtkTest('a refused store gives storescu the failure status and the reason as Error Comment', async () => {
  reset();
  ingest.behaviour = async (input) => {
    for await (const _ of input.body);
    return {
      ok: false,
      failure: StoreFailure.UidMismatch,
      reason: 'SOP Instance UID 1.2.3 in the data set differs from the command',
    };
  };
  const r = await run('storescu', ['-d', '-aet', 'STORESCU', ...peer(), join(fixtures, 'CT_small.dcm')]);
  assert.match(r.output, /DIMSE Status\s+: 0xa900/);
  assert.match(
    r.output,
    /\(0000,0902\) LO \[SOP Instance UID 1\.2\.3 in the data set differs from the command\]/,
  );
});

dcmtkTest('an ingest that fails without reading the body still gets its status through', async () => {
  reset();
  ingest.behaviour = () => ({ ok: false, failure: StoreFailure.OutOfResources, reason: 'disk full' });
  const r = await run('storescu', ['-d', '-aet', 'STORESCU', ...peer(), join(fixtures, 'waveform_ecg.dcm')]);
  assert.match(r.output, /DIMSE Status\s+: 0xa700/);
  assert.match(r.output, /\[disk full\]/);
});

dcmtkTest('an ingest that throws gives 0xC001 with a comment, and the association carries on', async () => {
  reset();
  ingest.behaviour = (_input, i) => {
    if (i === 0) throw new Error('index unavailable');
    return 'consume';
  };
  const before = logs.count(/association accepted/);
  const r = await run('storescu', [
    '-d',
    '-nh',
    '-aet',
    'STORESCU',
    ...peer(),
    join(fixtures, 'CT_small.dcm'),
    join(fixtures, 'MR_small.dcm'),
  ]);
  assert.match(r.output, /DIMSE Status\s+: 0xc001/);
  assert.match(r.output, /\(0000,0902\) LO \[Confer failed: index unavailable\]/);
  assert.match(r.output, /DIMSE Status\s+: 0x0000: Success/);
  assert.equal(logs.count(/association accepted/) - before, 1);
  assert.equal(ingest.received.length, 1);
  assert.equal(ingest.received[0]!.input.sopInstanceUid, '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457');
});

dcmtkTest('a slow ingest is fed through backpressure without loss', async () => {
  reset();
  const slowServer = new DimseServer(
    serverOptions({ dataHighWaterMarkBytes: 4096, maxPduLengthBytes: 4096 }),
  );
  const slowPort = await slowServer.listen();
  try {
    const original = ingest.store.bind(ingest);
    // Yield to the event loop between chunks, so the socket outruns the consumer and must be paused.
    ingest.store = (input) =>
      original({
        ...input,
        body: (async function* () {
          for await (const chunk of input.body) {
            await new Promise((r) => setImmediate(r));
            yield chunk;
          }
        })(),
      });
    const r = await run('storescu', [
      '-R',
      '-aet',
      'STORESCU',
      ...peer(slowPort),
      join(fixtures, 'waveform_ecg.dcm'),
    ]);
    assert.equal(r.code, 0, r.output);
    await assertStoredAsSent(['waveform_ecg.dcm']);
  } finally {
    await slowServer.close({ graceMs: 1000 });
  }
});

// ---------------------------------------------------------------------------------------------------------
// C-FIND

async function findscu(args: string[]): Promise<{ run: RunResult; responses: DicomJsonDataset[] }> {
  const dir = await mkdtemp(join(workDir, 'find-'));
  const r = await run('findscu', ['-aet', 'FINDSCU', ...peer(), '-X', '+sr', '-od', dir, ...args]);
  const files = (await readdir(dir)).filter((f) => f.startsWith('rsp')).sort();
  const responses: DicomJsonDataset[] = [];
  for (const f of files) {
    const bytes = await readFile(join(dir, f));
    const h = readPart10Header(bytes);
    responses.push(readDataset(bytes.subarray(h.datasetOffset), h.transferSyntaxUid).dataset);
  }
  return { run: r, responses };
}

const keys = (...k: string[]) => k.flatMap((x) => ['-k', x]);

function assertExactKeys(responses: DicomJsonDataset[], requested: string[]): void {
  for (const rsp of responses) {
    const tags = Object.keys(rsp).filter((t) => t !== Tag.SpecificCharacterSet);
    assert.deepEqual(tags.sort(), [...requested, Tag.QueryRetrieveLevel, Tag.RetrieveAETitle].sort());
    assert.equal(firstString(rsp, Tag.RetrieveAETitle), 'CONFER');
  }
}

const uidsOf = (rows: DicomJsonDataset[], tag: string) => rows.map((r) => firstString(r, tag)).sort();

dcmtkTest(
  'findscu, Study Root, STUDY level: one response per study with exactly the keys asked for',
  async () => {
    reset();
    const { run: r, responses } = await findscu([
      '-S',
      ...keys(
        'QueryRetrieveLevel=STUDY',
        'PatientName',
        'PatientID',
        'StudyInstanceUID',
        'StudyDate',
        'ModalitiesInStudy',
      ),
    ]);
    assert.equal(r.code, 0, r.output);
    assert.equal(responses.length, index.STUDY.length);
    assert.deepEqual(uidsOf(responses, Tag.StudyInstanceUID), uidsOf(index.STUDY, Tag.StudyInstanceUID));
    assertExactKeys(responses, [
      Tag.PatientName,
      Tag.PatientID,
      Tag.StudyInstanceUID,
      Tag.StudyDate,
      Tag.ModalitiesInStudy,
    ]);
    const ct = responses.find((x) => firstString(x, Tag.PatientID) === '1CT1')!;
    assert.equal(firstString(ct, Tag.PatientName), 'CompressedSamples^CT1');
    assert.equal(firstString(ct, Tag.StudyDate), '20040119');
    assert.deepEqual(ct[Tag.ModalitiesInStudy]!.Value, ['CT']);
    assert.equal(ct[Tag.SpecificCharacterSet], undefined, 'ASCII only: no character set');
    // The non-ASCII study comes back in UTF-8, and says so.
    const unicode = responses.find((x) => firstString(x, Tag.StudyInstanceUID) === NON_ASCII_STUDY)!;
    assert.deepEqual(unicode[Tag.SpecificCharacterSet]!.Value, ['ISO_IR 192']);
    assert.equal(firstString(unicode, Tag.PatientName), 'Müller^Jörg');
    // What findscu prints says the same.
    const printed = [...r.output.matchAll(/\(0020,000d\) UI \[([^\]]*)\]/g)]
      .map((m) => m[1]!.replace(/[\0 ]+$/, ''))
      .sort();
    assert.deepEqual(printed, uidsOf(index.STUDY, Tag.StudyInstanceUID));
    assert.match(r.output, /\(0010,0010\) PN \[Müller\^Jörg\s*\]/);
    assert.equal(query.inputs[0]!.level, QueryLevel.Study);
    assert.deepEqual(query.inputs[0]!.keys, {}, 'no key had a value');
  },
);

dcmtkTest('findscu, Study Root, SERIES level within a study', async () => {
  reset();
  const { run: r, responses } = await findscu([
    '-S',
    ...keys(
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${NON_ASCII_STUDY}`,
      'SeriesInstanceUID',
      'Modality',
      'SeriesNumber',
    ),
  ]);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(uidsOf(responses, Tag.SeriesInstanceUID), [
    `${NON_ASCII_STUDY}.1`,
    `${NON_ASCII_STUDY}.2`,
  ]);
  assertExactKeys(responses, [Tag.StudyInstanceUID, Tag.SeriesInstanceUID, Tag.Modality, Tag.SeriesNumber]);
  assert.deepEqual(query.inputs[0]!.keys, { [Tag.StudyInstanceUID]: NON_ASCII_STUDY });
  for (const rsp of responses) assert.equal(rsp[Tag.SpecificCharacterSet], undefined);
});

dcmtkTest('findscu, Patient Root, STUDY and SERIES levels, with a wildcard and a UID list', async () => {
  reset();
  const study = await findscu([
    '-P',
    ...keys(
      'QueryRetrieveLevel=STUDY',
      'PatientID=*CT1',
      'PatientName',
      'StudyInstanceUID',
      'StudyDescription',
      'AccessionNumber',
    ),
  ]);
  assert.equal(study.run.code, 0, study.run.output);
  assert.equal(study.responses.length, 1);
  assertExactKeys(study.responses, [
    Tag.PatientID,
    Tag.PatientName,
    Tag.StudyInstanceUID,
    Tag.StudyDescription,
    Tag.AccessionNumber,
  ]);
  assert.equal(firstString(study.responses[0]!, Tag.StudyDescription), 'e+1');
  assert.equal(study.responses[0]![Tag.AccessionNumber]!.Value, undefined, 'no value: sent empty');
  assert.deepEqual(query.inputs[0]!.keys, { [Tag.PatientID]: '*CT1' });

  const ctStudy = firstString(study.responses[0]!, Tag.StudyInstanceUID)!;
  const mrStudy = '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457';
  const series = await findscu([
    '-P',
    ...keys(
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${ctStudy}\\${mrStudy}`,
      'SeriesInstanceUID',
      'Modality',
    ),
  ]);
  assert.equal(series.run.code, 0, series.run.output);
  assert.deepEqual(series.responses.map((x) => firstString(x, Tag.Modality)).sort(), ['CT', 'MR']);
  assertExactKeys(series.responses, [Tag.StudyInstanceUID, Tag.SeriesInstanceUID, Tag.Modality]);
  assert.equal(query.inputs[1]!.keys[Tag.StudyInstanceUID], `${ctStudy}\\${mrStudy}`);
});

dcmtkTest('findscu, Patient Root, PATIENT level', async () => {
  reset();
  const { run: r, responses } = await findscu([
    '-P',
    ...keys('QueryRetrieveLevel=PATIENT', 'PatientID', 'PatientName'),
  ]);
  assert.equal(r.code, 0, r.output);
  assert.deepEqual(uidsOf(responses, Tag.PatientID), uidsOf(index.PATIENT, Tag.PatientID));
  assertExactKeys(responses, [Tag.PatientID, Tag.PatientName]);
});

dcmtkTest('Study Root has no PATIENT level: refused with 0xA900 and a comment', async () => {
  reset();
  const { run: r, responses } = await findscu([
    '-S',
    '-d',
    ...keys('QueryRetrieveLevel=PATIENT', 'PatientName'),
  ]);
  assert.equal(responses.length, 0);
  assert.match(r.output, /DIMSE Status\s+: 0xa900/);
  assert.match(r.output, /Study Root has no PATIENT level/);
  assert.equal(query.inputs.length, 0);
});

dcmtkTest('a query error becomes 0xA900 naming the offending key', async () => {
  reset();
  const { run: r } = await findscu(['-S', '-d', ...keys('QueryRetrieveLevel=STUDY', 'StudyDate=yesterday')]);
  assert.match(r.output, /DIMSE Status\s+: 0xa900/);
  assert.match(r.output, /\(0000,0901\) AT \(0008,0020\)/);
  assert.match(r.output, /is not a date/);
});

dcmtkTest('a query that throws gives 0xC001 with a comment', async () => {
  reset();
  query.onQuery = () => {
    throw new Error('database on fire');
  };
  const { run: r } = await findscu(['-S', '-d', ...keys('QueryRetrieveLevel=STUDY', 'StudyInstanceUID')]);
  assert.match(r.output, /DIMSE Status\s+: 0xc001/);
  assert.match(r.output, /Confer failed: database on fire/);
});

test('C-CANCEL ends a C-FIND with 0xFE00', rawOpts, async () => {
  reset();
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const queried = new Promise<void>((resolve) => {
    query.onQuery = () => {
      resolve();
      return gate;
    };
  });
  const raw = await RawPeer.connect(port);
  await raw.associate([findContext]);
  const identifier = encodeDataset(
    { [Tag.QueryRetrieveLevel]: { vr: 'CS', Value: ['STUDY'] }, [Tag.StudyInstanceUID]: { vr: 'UI' } },
    TransferSyntax.ImplicitVRLittleEndian,
  );
  raw.sendMessage(
    3,
    {
      commandField: CommandField.CFindRq,
      messageId: 42,
      affectedSopClassUid: findContext.abstractSyntax,
      priority: 0,
      hasDataSet: true,
    },
    identifier,
  );
  await queried;
  const cancelSeen = logs.next(/C-CANCEL/);
  raw.sendMessage(3, {
    commandField: CommandField.CCancelRq,
    messageIdBeingRespondedTo: 42,
    hasDataSet: false,
  });
  await cancelSeen;
  open();
  const { command } = await raw.nextMessage();
  assert.equal(command.commandField, CommandField.CFindRsp);
  assert.equal(command.messageIdBeingRespondedTo, 42);
  assert.equal(command.status, Status.Cancel);
  raw.send(encodePdu({ type: PduType.AReleaseRq }));
  assert.equal((await raw.next())?.type, PduType.AReleaseRp);
  await raw.closed;
});

// ---------------------------------------------------------------------------------------------------------
// Protocol violations and limits

test('garbage bytes get an A-ABORT at once and the connection closed', rawOpts, async () => {
  const raw = await RawPeer.connect(port);
  const started = performance.now();
  raw.send(Buffer.from('GET / HTTP/1.1\r\nHost: confer\r\n\r\n'));
  const abort = await raw.next();
  assert.deepEqual(abort, { type: PduType.AAbort, source: 2, reason: AbortReason.UnrecognizedPdu });
  assert.equal(await raw.next(), null, 'then the server closes its side');
  assert.ok(performance.now() - started < 2_000, 'no timer involved');
  raw.socket.end();
  await raw.closed;
});

test('P-DATA-TF before the association, and a PDU over our maximum, are aborted', rawOpts, async () => {
  const early = await RawPeer.connect(port);
  early.sendMessage(1, { commandField: CommandField.CEchoRq, messageId: 1, hasDataSet: false });
  assert.deepEqual(await early.next(), {
    type: PduType.AAbort,
    source: 2,
    reason: AbortReason.UnexpectedPdu,
  });
  early.socket.end();

  const big = await RawPeer.connect(port);
  await big.associate([echoContext]);
  const header = Buffer.alloc(6);
  header[0] = PduType.PDataTf;
  header.writeUInt32BE(262_145, 2);
  big.send(header);
  assert.deepEqual(await big.next(), {
    type: PduType.AAbort,
    source: 2,
    reason: AbortReason.InvalidPduParameterValue,
  });
  big.socket.end();
  await Promise.all([early.closed, big.closed]);
});

test('C-ECHO over a raw association, then an operation Confer does not support', rawOpts, async () => {
  const raw = await RawPeer.connect(port);
  await raw.associate([echoContext]);
  raw.sendMessage(1, {
    commandField: CommandField.CEchoRq,
    messageId: 5,
    affectedSopClassUid: SopClass.Verification,
    hasDataSet: false,
  });
  const echo = await raw.nextMessage();
  assert.deepEqual(
    [echo.command.commandField, echo.command.messageIdBeingRespondedTo, echo.command.status],
    [0x8030, 5, 0],
  );
  raw.sendMessage(1, { commandField: CommandField.NGetRq, messageId: 6, hasDataSet: false });
  const nget = await raw.nextMessage();
  assert.equal(nget.command.commandField, CommandField.NGetRsp);
  assert.equal(nget.command.status, Status.UnrecognizedOperation);
  raw.send(encodePdu({ type: PduType.AReleaseRq }));
  assert.equal((await raw.next())?.type, PduType.AReleaseRp);
  await raw.closed;
});

test(
  'an association that goes quiet is aborted after idleTimeoutMs; a silent connection is closed by ARTIM',
  rawOpts,
  async () => {
    const quiet = new DimseServer(serverOptions({ idleTimeoutMs: 200, associationTimeoutMs: 200 }));
    const quietPort = await quiet.listen();
    try {
      const raw = await RawPeer.connect(quietPort);
      await raw.associate([echoContext]);
      const started = performance.now();
      const abort = await raw.next();
      assert.equal(abort?.type, PduType.AAbort);
      assert.ok(performance.now() - started >= 150, 'not before the idle timeout');
      raw.socket.end();
      await raw.closed;

      const silent = await RawPeer.connect(quietPort);
      assert.equal(await silent.next(), null, 'closed without a word: there is no association to abort');
      await silent.closed;
    } finally {
      await quiet.close({ graceMs: 1000 });
    }
  },
);

dcmtkTest('maxAssociations: one more is rejected (transient, local limit exceeded)', async () => {
  const small = new DimseServer(serverOptions({ maxAssociations: 1 }));
  const smallPort = await small.listen();
  try {
    const holder = await RawPeer.connect(smallPort);
    await holder.associate([echoContext]);
    assert.equal(small.activeAssociations, 1);
    const r = await run('echoscu', ['-aet', 'ECHOSCU', ...peer(smallPort)]);
    assert.notEqual(r.code, 0);
    assert.match(r.output, /Rejected Transient/);
    assert.match(r.output, /Local Limit Exceeded/);

    const second = await RawPeer.connect(smallPort);
    second.send(
      encodePdu({
        type: PduType.AAssociateRq,
        protocolVersion: 1,
        calledAeTitle: 'CONFER',
        callingAeTitle: 'RAWPEER',
        applicationContextName: DICOM_APPLICATION_CONTEXT_NAME,
        presentationContexts: [echoContext],
        userInformation: { maxLengthBytes: 16384, roleSelections: [], otherItems: [] },
      }),
    );
    assert.deepEqual(await second.next(), {
      type: PduType.AAssociateRj,
      result: RejectResult.RejectedTransient,
      source: RejectSource.ServiceProviderPresentation,
      reason: PresentationRejectReason.LocalLimitExceeded,
    });
    holder.send(encodePdu({ type: PduType.AReleaseRq }));
    assert.equal((await holder.next())?.type, PduType.AReleaseRp);
    await Promise.all([holder.closed, second.closed]);
  } finally {
    await small.close({ graceMs: 1000 });
  }
});

dcmtkTest('close() lets an in-flight C-STORE finish and answers it, then shuts down', async () => {
  reset();
  const closing = new DimseServer(serverOptions());
  const closingPort = await closing.listen();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const storing = new Promise<void>((resolve) => {
    ingest.onStore = () => resolve();
  });
  ingest.behaviour = async () => {
    await gate;
    return 'consume' as const;
  };
  const store = run('storescu', [
    '-v',
    '-aet',
    'STORESCU',
    ...peer(closingPort),
    join(fixtures, 'CT_small.dcm'),
  ]);
  await storing;
  const closed = closing.close({ graceMs: 10_000 });
  // The listener is gone at once: a new connection is refused.
  const refused = connect({ host: '127.0.0.1', port: closingPort });
  const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  assert.equal(err.code, 'ECONNREFUSED');
  release();
  const r = await store;
  assert.match(r.output, /Received Store Response \(Success\)/);
  await closed;
  await assertStoredAsSent(['CT_small.dcm']);
  assert.equal(closing.activeAssociations, 0);
});

test('close() aborts an association whose operation outlives the grace period', rawOpts, async () => {
  reset();
  const closing = new DimseServer(serverOptions());
  const closingPort = await closing.listen();
  const storing = new Promise<void>((resolve) => {
    ingest.onStore = () => resolve();
  });
  let sawAbort: unknown;
  ingest.behaviour = async (input) => {
    try {
      for await (const _ of input.body);
    } catch (err) {
      sawAbort = err;
    }
    return { ok: false, failure: StoreFailure.StorageUnavailable, reason: 'aborted' };
  };
  // A raw peer that sends a command and only half its data set: the operation cannot finish.
  const raw = await RawPeer.connect(closingPort);
  await raw.associate([
    {
      id: 1,
      abstractSyntax: '1.2.840.10008.5.1.4.1.1.7',
      transferSyntaxes: [TransferSyntax.ExplicitVRLittleEndian],
    },
  ]);
  const command = encodeCommand({
    commandField: CommandField.CStoreRq,
    messageId: 1,
    affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.7',
    affectedSopInstanceUid: '1.2.3.4',
    priority: 0,
    hasDataSet: true,
  });
  const full = encodeMessage(1, command, new Uint8Array(100), 16384);
  raw.send(full.subarray(0, full.byteLength - 50));
  await storing;
  const started = performance.now();
  await closing.close({ graceMs: 200 });
  assert.ok(performance.now() - started >= 150);
  assert.deepEqual(await raw.next(), { type: PduType.AAbort, source: 0, reason: 0 });
  assert.match(String(sawAbort), /association ended before the data set was complete/);
  await raw.closed;
});
