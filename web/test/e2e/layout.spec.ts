/** Phone width (375 px): every page fits without horizontal scrolling, and the main navigation stays reachable. */
import { expect, test } from '@playwright/test'

import { network } from './network.ts'

test('every page fits a 375 px wide phone screen', async ({ browser }) => {
  const net = network()
  const seeded = JSON.parse(JSON.stringify(net)).seeded as { tracks: { contentHash: string }[]; editionId: string }
  const context = await browser.newContext({ baseURL: net.webUrl, viewport: { width: 375, height: 740 }, isMobile: true })
  try {
    const page = await context.newPage()
    for (const path of ['/', `/track/${seeded.tracks[0].contentHash}`, `/edition/${seeded.editionId}`, '/market', '/studio', '/operate', '/govern']) {
      await page.goto(path)
      await expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible()
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
      expect(overflow, `${path} scrolls sideways by ${overflow} px`).toBeLessThanOrEqual(0)
      await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Studio' })).toBeVisible()
    }
  } finally {
    await context.close()
  }
})
