/**
 * The rig of the WhatsApp calls tests: the service with its SIP agent on a known port, a registered number with
 * calling on (Meta's SIP password read back as Meta hands it out), and sipp as the contact centre over UDP. Also
 * the rig of business-initiated calls through the simulator's SIP side, and sipp dialling a customer through it.
 */
import { findFreePort } from '../../scripts/dev-servers';
import { BUSINESS_NUMBER_ID, startService, type ServiceOptions, type ServiceRig } from './service';
import { startSipp, type SippPeer } from './sipp';
import { agentLeg, type AgentLegMode } from './sipp-calls';

export const DISPLAY_NUMBER = '+1 202 555 0107';
export const CALLED = '+12025550107';

export interface CallRig {
  rig: ServiceRig;
  cc: SippPeer;
  sipPort: number;
  password: string;
}

/**
 * Starts it all; `defer` takes the clean-ups (the test's afterEach runs them, last first). `calling` adds to the
 * number's calling settings; `sip` to the service's SIP options (TLS; a `connectorUri` other than sipp's).
 */
export async function callRig(
  mode: AgentLegMode,
  defer: (cleanup: () => Promise<unknown>) => void,
  calling: Record<string, unknown> = {},
  sip: Omit<NonNullable<ServiceOptions['sip']>, 'connectorUri' | 'localPort'> & { connectorUri?: string } = {},
): Promise<CallRig> {
  const cc = await startSipp({ scenario: 'custom:agent-leg', scenarioXml: agentLeg(mode), transport: 'udp', agent: 'agent-1', timeoutSeconds: 60, calls: mode === 'busy-then-answer' ? 2 : 1 });
  defer(() => cc.stop());
  const sipPort = await findFreePort();
  const rig = await startService({ sip: { connectorUri: cc.uri, localPort: sipPort, ...sip } });
  defer(() => rig.stop());
  const draft = { routing: { defaultQueue: 'sales', defaultSkill: 'voice', retry: { initialSeconds: 1, maxSeconds: 1, maxAttempts: 3 } } };
  expect((await rig.requestAs('supervisor', 'PUT', '/v1/config/draft', draft)).body.valid).toBe(true);
  expect((await rig.requestAs('supervisor', 'POST', '/v1/config/publish', {})).status).toBe(201);
  const registered = await rig.requestAs('supervisor', 'POST', '/v1/numbers', {
    phoneNumberId: BUSINESS_NUMBER_ID,
    displayNumber: DISPLAY_NUMBER,
    verificationMethod: 'sms',
    ownership: { attestedBy: 'Test Owner', statement: true },
  });
  expect(registered.status).toBe(201);
  const settings = await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, {
    status: 'ENABLED',
    callback_permission_status: 'ENABLED',
    sip: { status: 'ENABLED', servers: [{ hostname: 'sip.connector.example.com', port: 5061 }] },
    ...calling,
  });
  expect(settings.status).toBe(200);
  // Meta generated the number's SIP password; the simulator hands it out as Meta does (include_sip_credentials).
  const password = rig.simulator.callingSettings(BUSINESS_NUMBER_ID)?.sipPassword;
  expect(password).toMatch(/\S{8,}/);
  return { rig, cc, sipPort, password: password! };
}

/** The service with the broker simulator's SIP side as Meta's SIP server, and where sipp (the contact centre) dials from. */
export interface SimulatorCallingRig {
  rig: ServiceRig;
  /** The connector's SIP port, which the number's calling settings name as its SIP server. */
  sipPort: number;
  /** sipp's port as the contact centre (`SIP_CONNECTOR_URI`). */
  ccPort: number;
}

/**
 * Business-initiated calls as `npm start` runs them: the simulator plays Meta's SIP server, the number is registered
 * and its calling settings point Meta's SIP side at the connector.
 */
export async function simulatorCallingRig(): Promise<SimulatorCallingRig> {
  const sipPort = await findFreePort();
  const ccPort = await findFreePort();
  const rig = await startService({ sip: { connectorUri: `sip:queue@127.0.0.1:${ccPort}`, localPort: sipPort, meta: 'simulator' } });
  const number = { phoneNumberId: BUSINESS_NUMBER_ID, displayNumber: '+1 202 555 0188', verificationMethod: 'voice', ownership: { attestedBy: 'Owner', statement: true } };
  expect((await rig.requestAs('supervisor', 'POST', '/v1/numbers', number)).status).toBe(201);
  const calling = { status: 'ENABLED', sip: { status: 'ENABLED', servers: [{ hostname: '127.0.0.1', port: sipPort }] } };
  expect((await rig.requestAs('supervisor', 'PUT', `/v1/numbers/${BUSINESS_NUMBER_ID}/calling`, calling)).status).toBe(200);
  return { rig, sipPort, ccPort };
}

/** sipp as the contact centre dials `customer` through the connector (test/support/sipp/dial-customer.xml); its report. */
export async function dialCustomer({ sipPort, ccPort }: SimulatorCallingRig, customer: string, hangup: 'us' | 'them') {
  const cc = await startSipp({ scenario: 'dial-customer', transport: 'udp', port: ccPort, remote: `127.0.0.1:${sipPort}`, agent: 'agent-1', keys: { customer }, set: { hangup }, pauseMs: 800, timeoutSeconds: 60 });
  try {
    return await cc.finished();
  } finally {
    await cc.stop();
  }
}
