import proxyaddr from 'proxy-addr';
import { z } from 'zod';

/**
 * express's `trust proxy` (https://expressjs.com/en/guide/behind-proxies.html) as TRUST_PROXY spells it: `false` or
 * `0` (off), a hop count (`1`: the one reverse proxy in front), or addresses and subnets separated by commas
 * (`127.0.0.1,10.0.0.0/8`; also proxy-addr's `loopback`, `linklocal`, `uniquelocal`), each checked by proxy-addr, the
 * library express compiles them with. `true` is refused: it trusts every hop, so any client could name itself.
 */
export const trustProxy = z.string().transform((text, ctx): false | number | string[] => {
  const value = text.trim();
  if (value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) return Number(value);
  if (value === 'true') {
    ctx.addIssue({ code: 'custom', message: 'true would trust an X-Forwarded-For any client invents; give the number of proxies in front (e.g. 1) or their addresses' });
    return z.NEVER;
  }
  const entries = value.split(',').map((entry) => entry.trim());
  try {
    if (entries.some((entry) => entry === '')) throw new TypeError('an empty entry');
    proxyaddr.compile(entries);
    return entries;
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `${(err as Error).message}; expected a hop count (e.g. 1) or addresses and subnets separated by commas (e.g. 127.0.0.1,10.0.0.0/8, or loopback)` });
    return z.NEVER;
  }
});
