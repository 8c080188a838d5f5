/**
 * `npx tsx bench/payload-codec.ts`: the CPU time (µs, user + system) the payload codec (lib/payload-codec.ts) spends
 * to encrypt and decrypt one payload the size of a customer message's signal, median of `--rounds` rounds of
 * `--payloads` each, after a warm-up. Every Temporal payload of the service goes through it, in the API and the worker.
 *
 * Options: --payloads 20000  --rounds 5  --label latest
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { AesGcmPayloadCodec } from '../lib/payload-codec';
import { runMain, saveResult, startRun } from './bench.support';

const { values: args } = parseArgs({ options: { payloads: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' }, label: { type: 'string', default: 'latest' } } });

async function main(): Promise<void> {
  const run = startRun('payload-codec', args.label);
  const codec = new AesGcmPayloadCodec([{ id: 'bench', key: randomBytes(32) }, { id: 'older', key: randomBytes(32) }]);
  const body = { customerMessages: [{ wamid: `wamid.${'x'.repeat(40)}`, from: '15550000001', type: 'text', text: 'Hello, one more thing about my order' }], settingsVersion: 3 };
  const payload = { metadata: { encoding: new TextEncoder().encode('json/plain') }, data: new TextEncoder().encode(JSON.stringify(body)) };
  const once = async (n: number) => {
    for (let i = 0; i < n; i += 1) await codec.decode(await codec.encode([payload]));
  };
  const payloads = Number(args.payloads);
  await once(payloads / 4);
  const rounds: number[] = [];
  for (let r = 0; r < Number(args.rounds); r += 1) {
    const start = process.cpuUsage();
    await once(payloads);
    const used = process.cpuUsage(start);
    rounds.push(Math.round(((used.user + used.system) / payloads) * 10) / 10);
  }
  const median = [...rounds].sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
  console.log(`payload codec: encrypt + decrypt one ${payload.data.length}-byte payload: ${median} µs CPU (median of ${rounds.length} rounds of ${payloads}: ${rounds.join(', ')})`);
  saveResult(run, { payloadBytes: payload.data.length, payloadsPerRound: payloads, cpuMicrosecondsPerPayload: median, rounds });
}

runMain(main);
