/** `npm run simulator`: the broker simulator on its own, for a connector started elsewhere or a benchmark. */
import { z } from 'zod';
import { startBrokerSimulator } from '../simulator/broker-simulator';

const Env = z.object({
  SIMULATOR_PORT: z.coerce.number().int().min(0).max(65_535).default(4100),
  WHATSAPP_ACCESS_TOKEN: z.string().default('dev-token'),
  WHATSAPP_APP_SECRET: z.string().default('dev-app-secret'),
  WEBHOOK_URL: z.url().default('http://127.0.0.1:3000/webhooks/whatsapp'),
});

async function main(): Promise<void> {
  const env = Env.parse(process.env);
  const simulator = await startBrokerSimulator({
    port: env.SIMULATOR_PORT,
    accessToken: env.WHATSAPP_ACCESS_TOKEN,
    appSecret: env.WHATSAPP_APP_SECRET,
    webhookUrl: env.WEBHOOK_URL,
    enforceServiceWindow: 'known-users',
  });
  console.log(`broker simulator on ${simulator.url}, delivering webhooks to ${env.WEBHOOK_URL}`);
  const stop = () => void simulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
