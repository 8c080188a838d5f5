/** TRUST_PROXY: express's `trust proxy`, parsed once at start-up and refused there, clearly, when it cannot be right. */
import { loadConfig } from '../../lib/config';
import { newPayloadKeyEntry } from '../../lib/payload-codec';

const base = { WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v', TEMPORAL_PAYLOAD_KEYS: newPayloadKeyEntry('k1') };
const trustProxy = (value: string | undefined) => loadConfig({ ...base, TRUST_PROXY: value }).TRUST_PROXY;

describe('TRUST_PROXY', () => {
  it('is off unless set: forwarded headers are not trusted', () => {
    expect(trustProxy(undefined)).toBeUndefined();
    expect(trustProxy('')).toBeUndefined();
    expect(trustProxy('false')).toBe(false);
    expect(trustProxy('0')).toBe(false);
  });

  it('takes a hop count, or addresses and subnets separated by commas', () => {
    expect(trustProxy('1')).toBe(1);
    expect(trustProxy(' 2 ')).toBe(2);
    expect(trustProxy('127.0.0.1, 10.0.0.0/8,fd00::/8')).toEqual(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
    expect(trustProxy('loopback,uniquelocal')).toEqual(['loopback', 'uniquelocal']);
    expect(trustProxy('192.168.0.0/255.255.0.0')).toEqual(['192.168.0.0/255.255.0.0']);
  });

  it('refuses at start-up, naming the setting, what cannot be right', () => {
    expect(() => trustProxy('true')).toThrow(/Invalid configuration:\n {2}TRUST_PROXY: true would trust an X-Forwarded-For any client invents/);
    expect(() => trustProxy('proxy.example.com')).toThrow(/TRUST_PROXY: invalid IP address: proxy\.example\.com; expected a hop count/);
    expect(() => trustProxy('10.0.0.0/33')).toThrow(/TRUST_PROXY: invalid range on address: 10\.0\.0\.0\/33/);
    expect(() => trustProxy('10.0.0.1,,10.0.0.2')).toThrow(/TRUST_PROXY: an empty entry/);
    expect(() => trustProxy('-1')).toThrow(/TRUST_PROXY/);
  });
});
