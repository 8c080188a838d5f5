import { startService, type ServiceRig } from './service';
import { startSipp, type SippPeer } from './sipp';
import { chatScenario, type ChatStep } from './sipp-chat';

/**
 * sipp following `steps` as the contact centre's desk (agent-1, UDP, one call), and the service chatting with it in page
 * mode (RFC 3428), routing every conversation to the queue `sales` with `welcome` as the automatic first reply. Both
 * stops are pushed onto `cleanups`, for the test's afterEach or afterAll.
 */
export async function pageModeChat(
  steps: ChatStep[],
  options: { welcome: string; cleanups: (() => Promise<unknown>)[]; afterBye?: Extract<ChatStep, { kind: 'write' }>[] },
): Promise<{ rig: ServiceRig; sipp: SippPeer }> {
  const sipp = await startSipp({ scenario: 'custom:chat', scenarioXml: chatScenario(steps, options.afterBye ?? []), transport: 'udp', agent: 'agent-1', calls: 1, noRetransmissions: true, timeoutSeconds: 120 });
  options.cleanups.push(() => sipp.stop());
  const rig = await startService({ sip: { connectorUri: sipp.uri, chatMode: 'message' } });
  options.cleanups.push(() => rig.stop());
  const draft = { routing: { defaultQueue: 'sales', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 5 } }, autoReplies: { welcome: options.welcome } };
  const validated = await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft);
  if (validated.body.valid !== true) throw new Error(`the chat configuration was refused: ${JSON.stringify(validated.body)}`);
  const published = await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {});
  if (published.status !== 201) throw new Error(`the chat configuration was not published: ${published.status}`);
  return { rig, sipp };
}
