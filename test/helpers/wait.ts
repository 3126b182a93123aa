import { expect } from 'chai';

/** Polls until the condition holds, failing the test when it does not within ms. */
export async function within(ms: number, what: string, condition: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect.fail(`not within ${ms} ms: ${what}`);
}
