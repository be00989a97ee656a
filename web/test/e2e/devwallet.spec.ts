/**
 * The newcomer's path on `npm start`: no browser extension, the local chain's dev wallet (the Hardhat node signs for
 * its demo accounts). Connect as collector 2, buy one edition, see the purchase confirmed and the collector listed;
 * disconnecting forgets the connection, as a wallet does.
 */
import { expect, test } from '@playwright/test'

import { account, network } from './network.ts'

test('a newcomer buys with the dev wallet, no extension needed', async ({ browser }) => {
  const net = network()
  const seeded = JSON.parse(JSON.stringify(net)).seeded as { editionId: string }
  const context = await browser.newContext({ baseURL: net.webUrl })
  try {
    const page = await context.newPage()
    await page.goto(`/edition/${seeded.editionId}`)
    await page.getByRole('button', { name: 'Connect wallet' }).click()
    await page.getByRole('button', { name: 'Dev wallet · Collector 2' }).click()
    const collector = account(net, 'collector 2').address
    await expect(page.getByTestId('connected-address')).toHaveAttribute('title', collector)
    await page.getByTestId('buy').click()
    const status = page.getByTestId('tx-status').last()
    await expect(status).toHaveAttribute('data-status', /confirmed|reverted|failed/, { timeout: 60_000 })
    expect(await status.getAttribute('data-status'), (await status.textContent()) ?? '').toBe('confirmed')
    await expect(page.getByTestId('collectors')).toContainText(collector, { timeout: 30_000 })
    await page.getByRole('button', { name: 'Disconnect' }).click()
    await page.reload()
    await expect(page.getByRole('button', { name: 'Connect wallet' })).toBeVisible()
  } finally {
    await context.close()
  }
})
