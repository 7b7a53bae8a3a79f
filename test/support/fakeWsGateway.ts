/**
 * A fake Feishu long-connection (长连接) gateway for the SDK's WSClient.
 *
 * POST /callback/ws/endpoint hands out the WebSocket URL and ClientConfig; /ws speaks pbbp2.Frame
 * (the SDK's generated protobuf, proto2 with SeqID/LogID/service/method required):
 *   1 SeqID uint64, 2 LogID uint64, 3 service int32, 4 method int32 (0 control, 1 data),
 *   5 headers repeated {1 key, 2 value}, 6 payload_encoding, 7 payload_type, 8 payload bytes, 9 LogIDNew.
 * The client answers a data frame with the same frame, payload = JSON {code, data: base64(JSON result)}.
 *
 * Re-push: Feishu's 使用长连接接收事件 page says an event "需要在 3 秒内处理完成且不抛出异常，否则会触发超时重推机制"
 * (https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/request-url-configuration-case).
 * So an event whose answer has not come within `redeliverAfterMs` (3 s), or whose answer's code is not 200, is pushed
 * again: the same event (same event_id) in a new frame (new SeqID and message_id). The page gives neither the count
 * nor the pause; the simulation's choice is at most `maxRedeliveries` (4, as many as the webhook page allows) re-pushes,
 * an errored one at once, and none once a push was answered 200.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

export interface FrameHeader {
  key: string;
  value: string;
}

export interface Frame {
  seqId: bigint;
  logId: bigint;
  service: number;
  method: number;
  headers: FrameHeader[];
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  logIdNew?: string;
}

const CONTROL = 0;
const DATA = 1;

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, value);
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function key(field: number, wireType: number): number[] {
  return varint(BigInt((field << 3) | wireType));
}

function bytesField(field: number, bytes: Uint8Array): number[] {
  return [...key(field, 2), ...varint(BigInt(bytes.length)), ...bytes];
}

const utf8 = (s: string) => new TextEncoder().encode(s);

export function encodeFrame(f: Frame): Uint8Array {
  // the four required fields are written even when zero, as protobufjs does: its decoder refuses a frame without them
  const out = [...key(1, 0), ...varint(f.seqId), ...key(2, 0), ...varint(f.logId), ...key(3, 0), ...varint(BigInt(f.service)), ...key(4, 0), ...varint(BigInt(f.method))];
  for (const h of f.headers) out.push(...bytesField(5, new Uint8Array([...bytesField(1, utf8(h.key)), ...bytesField(2, utf8(h.value))])));
  if (f.payloadEncoding !== undefined) out.push(...bytesField(6, utf8(f.payloadEncoding)));
  if (f.payloadType !== undefined) out.push(...bytesField(7, utf8(f.payloadType)));
  if (f.payload !== undefined) out.push(...bytesField(8, f.payload));
  if (f.logIdNew !== undefined) out.push(...bytesField(9, utf8(f.logIdNew)));
  return new Uint8Array(out);
}

/** Reads the fields of one message: varints as bigint, length-delimited ones as bytes. */
function readFields(buf: Uint8Array): { field: number; value: bigint | Uint8Array }[] {
  const fields: { field: number; value: bigint | Uint8Array }[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= buf.length) throw new Error('truncated varint');
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
    }
  };
  while (pos < buf.length) {
    const tag = Number(readVarint());
    const field = tag >>> 3;
    const wireType = tag & 7;
    if (wireType === 0) fields.push({ field, value: readVarint() });
    else if (wireType === 2) {
      const len = Number(readVarint());
      if (pos + len > buf.length) throw new Error('truncated field');
      fields.push({ field, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else throw new Error(`unexpected wire type ${wireType}`);
  }
  return fields;
}

const text = (v: bigint | Uint8Array) => new TextDecoder().decode(v as Uint8Array);

export function decodeFrame(buf: Uint8Array): Frame {
  const frame: Frame = { seqId: 0n, logId: 0n, service: 0, method: 0, headers: [] };
  const seen = new Set<number>();
  for (const { field, value } of readFields(buf)) {
    seen.add(field);
    if (field === 1) frame.seqId = value as bigint;
    else if (field === 2) frame.logId = value as bigint;
    else if (field === 3) frame.service = Number(BigInt.asIntN(32, value as bigint));
    else if (field === 4) frame.method = Number(BigInt.asIntN(32, value as bigint));
    else if (field === 5) {
      const h = readFields(value as Uint8Array);
      frame.headers.push({ key: text(h.find((x) => x.field === 1)!.value), value: text(h.find((x) => x.field === 2)!.value) });
    } else if (field === 6) frame.payloadEncoding = text(value);
    else if (field === 7) frame.payloadType = text(value);
    else if (field === 8) frame.payload = value as Uint8Array;
    else if (field === 9) frame.logIdNew = text(value);
  }
  for (const required of [1, 2, 3, 4]) if (!seen.has(required)) throw new Error(`frame lacks required field ${required}`);
  return frame;
}

const header = (f: Frame, name: string) => f.headers.find((h) => h.key === name)?.value;

export interface WsResponse {
  code: number;
  /** The handler's result, base64-decoded and parsed; absent when the handler returned nothing. */
  data?: any;
}

/** One push of an event: the first or a re-push. */
export interface WsPush {
  eventId: string | undefined;
  messageId: string;
  seqId: bigint;
  /** The answer's code; undefined while (or if never) answered. */
  code?: number;
}

export interface FakeWsGateway {
  /** The domain to give the WS client: it POSTs {url}/callback/ws/endpoint. */
  url: string;
  /** Resolves once a client is connected and listening (its first ping has arrived); rejects after timeoutMs. */
  connected(timeoutMs?: number): Promise<void>;
  /**
   * Delivers an event (type=event data frame), optionally split into fragments, re-pushing it as Feishu does (see the
   * top), and resolves once every push made is answered: with the first 200 answer, else the last. A push left 10 s
   * without an answer fails it.
   */
  sendEvent(payload: object, opts?: { fragments?: number }): Promise<WsResponse>;
  /** Every push of every event so far, re-pushes included, in order. */
  pushes: WsPush[];
  /** Every frame the client sent, decoded. */
  received: Frame[];
  /** How many WebSocket connections were accepted so far. */
  connections(): number;
  /** The next endpoint calls answer these instead of a connection config, one a call (code 1 is Feishu's “system busy”). */
  refuseEndpoint(answers: { code: number; msg: string }[]): void;
  /** How many times the endpoint was asked for a connection config. */
  endpointCalls(): number;
  close(): Promise<void>;
}

const SERVICE_ID = 33554678;
// long ping interval so pings do not interleave with a test's frames; reconnect quickly and never give up
const CLIENT_CONFIG = { ReconnectCount: -1, ReconnectInterval: 1, ReconnectNonce: 0, PingInterval: 3600 };

export async function startFakeWsGateway(opts: { appId: string; appSecret: string; redeliverAfterMs?: number; maxRedeliveries?: number }): Promise<FakeWsGateway> {
  const redeliverAfterMs = opts.redeliverAfterMs ?? 3000;
  const maxRedeliveries = opts.maxRedeliveries ?? 4;
  const wss = new WebSocketServer({ noServer: true });
  let socket: WebSocket | undefined;
  let onConnected: () => void = () => {};
  let connectedNow = new Promise<void>((resolve) => (onConnected = resolve));
  const pending = new Map<string, (f: Frame) => void>();
  const received: Frame[] = [];
  const pushes: WsPush[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, f: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      f();
    }, ms);
    timers.add(t);
    return t;
  };
  let seq = 0n;
  let accepted = 0;
  let asked = 0;
  const refusals: { code: number; msg: string }[] = [];

  const server = createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/callback/ws/endpoint') {
      res.writeHead(404).end();
      return;
    }
    void readJson(req).then((body) => {
      res.setHeader('content-type', 'application/json');
      asked++;
      const refusal = refusals.shift();
      if (refusal) {
        res.end(JSON.stringify({ ...refusal, data: {} }));
        return;
      }
      if (body?.AppID !== opts.appId || body?.AppSecret !== opts.appSecret) {
        res.end(JSON.stringify({ code: 514, msg: 'app id or secret invalid' }));
        return;
      }
      // device_id is not first: the SDK runs qs.parse over the whole URL, so the first parameter's name swallows "ws://…/ws?"
      const query = `fpid=1&device_id=dev_${randomBytes(4).toString('hex')}&service_id=${SERVICE_ID}&ticket=${randomBytes(8).toString('hex')}`;
      res.end(JSON.stringify({ code: 0, msg: 'ok', data: { URL: `${url.replace(/^http/, 'ws')}/ws?${query}`, ClientConfig: CLIENT_CONFIG } }));
    });
  });

  server.on('upgrade', (req, sock, head) => {
    if (!req.url?.startsWith('/ws?')) {
      sock.destroy();
      return;
    }
    wss.handleUpgrade(req, sock, head, (ws) => {
      socket = ws;
      accepted++;
      ws.on('message', (raw: Buffer) => {
        const frame = decodeFrame(new Uint8Array(raw));
        received.push(frame);
        if (frame.method === CONTROL && header(frame, 'type') === 'ping') {
          ws.send(encodeFrame({ ...frame, headers: [{ key: 'type', value: 'pong' }], payload: utf8(JSON.stringify(CLIENT_CONFIG)) }));
          onConnected();
        } else if (frame.method === DATA) pending.get(header(frame, 'message_id') ?? '')?.(frame);
      });
      ws.on('close', () => {
        if (socket === ws) {
          socket = undefined;
          connectedNow = new Promise<void>((resolve) => (onConnected = resolve));
        }
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    received,
    pushes,
    connections: () => accepted,
    refuseEndpoint: (answers) => refusals.push(...answers),
    endpointCalls: () => asked,
    connected(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no WS client connected to the fake gateway within ${timeoutMs} ms`)), timeoutMs);
      });
      return Promise.race([connectedNow, timeout]).finally(() => clearTimeout(timer));
    },
    async sendEvent(payload, o = {}) {
      if (!socket) throw new Error('no client connected to the fake WS gateway');
      const bytes = utf8(JSON.stringify(payload));
      const eventId = (payload as { header?: { event_id?: string } }).header?.event_id;
      const sum = Math.max(1, o.fragments ?? 1);
      const size = Math.ceil(bytes.length / sum);
      const answers: WsResponse[] = [];
      let open = 0;
      let redelivered = 0;
      let done!: () => void;
      let failed!: (err: Error) => void;
      const finished = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
      const settled = () => open === 0 && (answers.some((a) => a.code === 200) || redelivered >= maxRedeliveries);
      const push = () => {
        const ws = socket;
        const messageId = randomBytes(8).toString('hex');
        const record: WsPush = { eventId, messageId, seqId: seq + 1n };
        pushes.push(record);
        open++;
        let answered = false;
        // a push unanswered within the 3 s is pushed again; one never answered fails the call after 10 s
        const redeliver = later(redeliverAfterMs, () => {
          if (!answered && redelivered < maxRedeliveries && !answers.some((a) => a.code === 200)) again();
        });
        const giveUp = later(10_000, () => {
          pending.delete(messageId);
          failed(new Error(`no answer to WS event ${messageId} within 10 s`));
        });
        pending.set(messageId, (f) => {
          answered = true;
          clearTimeout(redeliver);
          clearTimeout(giveUp);
          timers.delete(redeliver);
          timers.delete(giveUp);
          pending.delete(messageId);
          const body = JSON.parse(new TextDecoder().decode(f.payload)) as { code: number; data?: string };
          const answer: WsResponse = body.data === undefined ? { code: body.code } : { code: body.code, data: JSON.parse(Buffer.from(body.data, 'base64').toString('utf8')) };
          record.code = answer.code;
          answers.push(answer);
          open--;
          if (answer.code !== 200 && redelivered < maxRedeliveries && !answers.some((a) => a.code === 200)) again();
          else if (settled()) done();
        });
        for (let i = 0; i < sum; i++) {
          seq++;
          const headers = [
            { key: 'type', value: 'event' },
            { key: 'message_id', value: messageId },
            { key: 'sum', value: String(sum) },
            { key: 'seq', value: String(i) },
            { key: 'trace_id', value: `trace_${messageId}` },
          ];
          ws?.send(encodeFrame({ seqId: seq, logId: seq, service: SERVICE_ID, method: DATA, headers, payload: bytes.subarray(i * size, (i + 1) * size) }));
        }
      };
      const again = () => {
        redelivered++;
        push();
      };
      push();
      await finished;
      return answers.find((a) => a.code === 200) ?? answers.at(-1)!;
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

async function readJson(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
