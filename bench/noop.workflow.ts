import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const pokeSignal = defineSignal<[unknown]>('poke');

/** The raw ceiling's workflow: takes signals and does nothing else. */
export async function noopWorkflow(): Promise<void> {
  let pokes = 0;
  setHandler(pokeSignal, () => void (pokes += 1));
  await condition(() => pokes < 0); // never: lives as long as the benchmark
}
