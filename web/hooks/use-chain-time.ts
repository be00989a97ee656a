'use client'

import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useConfig, type Config } from 'wagmi'
import { getBlock } from 'wagmi/actions'

/** The latest block's timestamp: what deadlines, sale starts and expiries sent now are checked against (a local
 * chain moved ahead, or an L2 whose blocks lag, differs from the browser's clock). */
export async function latestChainTime(config: Config): Promise<number> {
  return Number((await getBlock(config, { blockTag: 'latest' })).timestamp)
}

/**
 * The chain's clock for display: `now` ticks every second (the browser's clock plus the chain's offset), `block`
 * is the latest block's timestamp, refreshed every 5 s (stable between refreshes, e.g. for a vote timepoint).
 */
export function useChainTime(): { now: number; block: number | undefined } {
  const config = useConfig()
  const latest = useQuery({
    queryKey: ['chain-time'],
    refetchInterval: 5_000,
    queryFn: async () => ({ block: await latestChainTime(config), wall: Math.floor(Date.now() / 1000) }),
  })
  const [wall, setWall] = useState(() => Math.floor(Date.now() / 1000))
  useEffect(() => {
    const t = setInterval(() => setWall(Math.floor(Date.now() / 1000)), 1000)
    return () => clearInterval(t)
  }, [])
  const offset = latest.data ? latest.data.block - latest.data.wall : 0
  return { now: wall + offset, block: latest.data?.block }
}
