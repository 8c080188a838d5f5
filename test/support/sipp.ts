/**
 * sipp (Debian package sip-tester) as the contact centre's SIP connector: started on a free loopback port with one
 * of the scenarios in `test/support/sipp/`, in its own process group, tracing every message it sends and receives.
 * Tests assert on that trace and on sipp's exit code (0 only when every call followed the scenario and its checks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../scripts/dev-servers';

export type SippScenario = 'answer' | 'busy-then-answer' | 'reject-404' | 'ring-no-answer' | 'silent' | 'dial-customer';
export type SippTransport = 'udp' | 'tcp';

export interface SippOptions {
  /** A scenario file in test/support/sipp/, or a name for `scenarioXml`. */
  scenario: SippScenario | `custom:${string}`;
  /** The scenario itself (see sipp-chat.ts), written next to the trace. */
  scenarioXml?: string;
  /**
   * `-nr`: no retransmissions, and no retransmission detection, so a scenario may receive two identical answers
   * (to a MESSAGE it deliberately sends twice) as two steps.
   */
  noRetransmissions?: boolean;
  transport: SippTransport;
  /** Calls to take before exiting (-m). */
  calls?: number;
  /** The agent the answer names (`-key agent`). */
  agent?: string;
  /** Scenario globals (`-set name value`), e.g. `{ hangup: 'them' }` for answer.xml. */
  set?: Record<string, string>;
  /** Length of a bare `<pause/>` (-d), in ms. */
  pauseMs?: number;
  /** A port chosen beforehand (a peer that comes back where it was); a free one otherwise. */
  port?: number;
  /** sipp gives up (and fails) after this long; 30 s by default, longer for a peer serving a whole test file. */
  timeoutSeconds?: number;
  /** sipp places the calls (a UAC scenario) to this `host:port`: sipp plays Meta's SIP server calling us. */
  remote?: string;
  /** The Request-URI user of the calls it places (`-s`). */
  service?: string;
  /** More `-key name value` pairs (keywords `[name]` in the scenario). */
  keys?: Record<string, string>;
  /** Digest credentials it answers a 401 with (`-au`, `-ap`). */
  auth?: { username: string; password: string };
}

/** One SIP message in sipp's trace. */
export interface SippMessage {
  direction: 'received' | 'sent';
  text: string;
  /** `INVITE sip:… SIP/2.0` or `SIP/2.0 200 OK`. */
  startLine: string;
  /** A header's value (first occurrence, exact name, case-insensitive). */
  header(name: string): string | undefined;
}

export interface SippReport {
  exitCode: number | null;
  messages: SippMessage[];
  /** Requests sipp received, by method (INVITE, ACK, CANCEL, BYE…), in order. */
  received(method: string): SippMessage[];
  /** sipp's error log: why a call failed. */
  errors: string;
}

export interface SippPeer {
  port: number;
  /** The connector URI that reaches this sipp. */
  uri: string;
  /** Waits until sipp has taken its calls and exited, then reads its trace. */
  finished(): Promise<SippReport>;
  /** Kills sipp's process group (if still running) and removes its files. */
  stop(): Promise<void>;
}

/** How a scenario's response differs from the plain one (the request's Via, From, To, Call-ID and CSeq copied). */
export interface SipResponseOptions {
  /** A tag sipp adds to the To (the first response of its dialog), e.g. `[pid]SIPpTag01[call_number]`. */
  toTag?: string;
  /** A CSeq line instead of the request's (a 487 to the INVITE, sent after the CANCEL's 200). */
  cseq?: string;
  /** With sipp's Contact: `<sip:[agent]@[local_ip]:[local_port];transport=[transport]>`. */
  contact?: boolean;
  /** More header lines, e.g. `X-Agent-Id: [agent]`. */
  headers?: string[];
  /** A body and its Content-Type (Content-Length is sipp's `[len]`). */
  body?: { type: string; text: string };
  /** sipp's `retrans` (ms): re-sent over UDP until the next message comes (a 2xx to an INVITE). */
  retransMs?: number;
}

/**
 * One `<send>` of a SIP response in a sipp scenario (RFC 3261 §8.2.6: Via, From, To, Call-ID and CSeq as the request
 * had them), for the scenario builders of the chat, MSRP and calls tests.
 */
export function sipResponse(status: string, options: SipResponseOptions = {}): string {
  const lines = [
    `SIP/2.0 ${status}`,
    '[last_Via:]',
    '[last_From:]',
    `[last_To:]${options.toTag ? `;tag=${options.toTag}` : ''}`,
    '[last_Call-ID:]',
    options.cseq ?? '[last_CSeq:]',
    ...(options.contact ? ['Contact: <sip:[agent]@[local_ip]:[local_port];transport=[transport]>'] : []),
    ...(options.headers ?? []),
    ...(options.body ? [`Content-Type: ${options.body.type}`, 'Content-Length: [len]', '', options.body.text] : ['Content-Length: 0', '']),
  ];
  return `<send${options.retransMs ? ` retrans="${options.retransMs}"` : ''}><![CDATA[\n\n${lines.join('\n')}\n]]></send>`;
}

/** How an in-dialog request differs from the plain one (a BYE: Via with a new branch, the dialog's Call-ID). */
export interface SipRequestOptions {
  cseq: number;
  /**
   * Who sends it: the dialog's caller (sipp's `[last_From:]` / `[last_To:]`, the default) or its callee, whose From and
   * To are the ACK's To and From, kept by the scenario as `ourFrom` / `theirTo`.
   */
  side?: 'caller' | 'callee';
  /** With sipp's `[routes]` (the Record-Route set it kept with `rrs="true"`). */
  routes?: boolean;
  /** More header lines, e.g. `x-wa-meta-call-duration: 12`. */
  headers?: string[];
  /** sipp's `retrans` (ms), over UDP until answered. */
  retransMs?: number;
}

/** One `<send>` of a bodiless in-dialog request (RFC 3261 §12.2.1.1: the dialog's From, To and Call-ID) to `[next_url]`. */
export function sipRequest(method: 'BYE' | 'ACK', options: SipRequestOptions): string {
  const lines = [
    `${method} [next_url] SIP/2.0`,
    'Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]',
    ...(options.routes ? ['[routes]'] : []),
    ...(options.side === 'callee' ? ['From:[$theirTo]', 'To:[$ourFrom]'] : ['[last_From:]', '[last_To:]']),
    '[last_Call-ID:]',
    `CSeq: ${options.cseq} ${method}`,
    'Max-Forwards: 70',
    ...(options.headers ?? []),
    'Content-Length: 0',
    '',
  ];
  return `<send${options.retransMs ? ` retrans="${options.retransMs}"` : ''}><![CDATA[\n\n${lines.join('\n')}\n]]></send>`;
}

const LOOPBACK_HEX = '0100007F';
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child);
});

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Whether a socket is bound on 127.0.0.1:port (UDP) or listening there (TCP), per the kernel's tables. */
function isBound(port: number, transport: SippTransport): boolean {
  const wanted = `${LOOPBACK_HEX}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = readFileSync(`/proc/net/${transport}`, 'utf8').split('\n').slice(1);
  return table.some((line) => {
    const [, local, , state] = line.trim().split(/\s+/);
    return local === wanted && (transport === 'udp' || state === '0A');
  });
}

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

export function parseTrace(trace: string): SippMessage[] {
  return trace
    .split(/^-{10,} .*$/m)
    .map((entry) => /^\s*\w+ message (received|sent)[^\n]*\n\n([\s\S]*)$/.exec(entry))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, direction, body]) => {
      const text = body!.replace(/\n+$/, '\n');
      const lines = text.split(/\r?\n/);
      return {
        direction: direction as 'received' | 'sent',
        text,
        startLine: lines[0] ?? '',
        header(name: string) {
          const prefix = `${name.toLowerCase()}:`;
          const line = lines.find((l) => l.toLowerCase().startsWith(prefix));
          return line?.slice(prefix.length).trim();
        },
      };
    });
}

/** Whether a UDP socket can bind `port` on loopback now. */
function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * A loopback port free for TCP (`findFreePort`) and, for sipp over UDP, for UDP too: a UDP port another process holds
 * (a parallel test's SIP agent) shows as bound in /proc/net/udp, so `startSipp` took sipp for ready while sipp had
 * exited on the taken port, and an INVITE went unanswered (CI, 2026-12-01: `noAnswer` after the 20 s timeout).
 */
async function freePortFor(transport: SippTransport): Promise<number> {
  for (;;) {
    const port = await findFreePort();
    if (transport === 'tcp' || (await udpFree(port))) return port;
  }
}

async function launch(options: SippOptions, dir: string): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null> }> {
  const port = options.port ?? (await freePortFor(options.transport));
  let scenario = join(__dirname, 'sipp', `${options.scenario}.xml`);
  if (options.scenarioXml) {
    scenario = join(dir, 'scenario.xml');
    writeFileSync(scenario, options.scenarioXml);
  }
  const args = [
    '-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-t', options.transport === 'tcp' ? 't1' : 'u1',
    '-m', String(options.calls ?? 1), '-nostdin', '-timeout', `${options.timeoutSeconds ?? 30}s`, '-timeout_error',
    '-trace_msg', '-message_file', join(dir, 'messages.log'), '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-key', 'agent', options.agent ?? 'agent-7', '-d', String(options.pauseMs ?? 0),
    ...Object.entries(options.set ?? {}).flatMap(([name, value]) => ['-set', name, value]),
    ...(options.noRetransmissions ? ['-nr'] : []),
    ...Object.entries(options.keys ?? {}).flatMap(([name, value]) => ['-key', name, value]),
    ...(options.service ? ['-s', options.service] : []),
    ...(options.auth ? ['-au', options.auth.username, '-ap', options.auth.password] : []),
    ...(options.remote ? [options.remote] : []),
  ];
  const child = spawn('sipp', args, { cwd: dir, detached: true, stdio: 'ignore' });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    });
    child.once('error', () => resolve(-1));
  });
  return { child, port, exited };
}

/** Starts sipp and waits until it is bound; tries another port if the one picked was taken meanwhile. */
export async function startSipp(options: SippOptions): Promise<SippPeer> {
  const dir = mkdtempSync(join(tmpdir(), `sipp-${options.scenario.replace(/\W/g, '-')}-`));
  for (let tries = 1; ; tries++) {
    const { child, port, exited } = await launch(options, dir);
    let gone = false;
    void exited.then(() => (gone = true));
    while (!gone && !isBound(port, options.transport)) await new Promise((r) => setTimeout(r, 25));
    if (gone) {
      const errors = readOr(join(dir, 'errors.log'), '(no error log)');
      if (tries < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sipp exited before it was ready: ${errors}`);
    }
    const finished = async (): Promise<SippReport> => {
      const exitCode = await exited;
      const messages = parseTrace(readOr(join(dir, 'messages.log'), ''));
      return {
        exitCode,
        messages,
        received: (method) => messages.filter((m) => m.direction === 'received' && m.startLine.startsWith(`${method} `)),
        errors: readOr(join(dir, 'errors.log'), ''),
      };
    };
    return {
      port,
      uri: `sip:queue@127.0.0.1:${port}${options.transport === 'tcp' ? ';transport=tcp' : ''}`,
      finished,
      async stop() {
        killGroup(child);
        await exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
