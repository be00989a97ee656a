'use client'

import { useQuery } from '@tanstack/react-query'
import { useEffect, useState } from 'react'
import { useConfig } from 'wagmi'
import { getBlock } from 'wagmi/actions'

/** The chain's clock, which is what sale windows, deadlines and expiries are checked against (a local chain moved
 * ahead, or an L2 whose blocks lag, differs from the browser's clock). */
export function useChainTime(): { now: number; latest: () => Promise<number> } {
  const config = useConfig()
  const latest = async () => Number((await getBlock(config, { blockTag: 'latest' })).timestamp)
  const offset = useQuery({
    queryKey: ['chain-time-offset'],
    refetchInterval: 5_000,
    queryFn: async () => (await latest()) - Math.floor(Date.now() / 1000),
  })
  const [wall, setWall] = useState(() => Math.floor(Date.now() / 1000))
  useEffect(() => {
    const t = setInterval(() => setWall(Math.floor(Date.now() / 1000)), 1000)
    return () => clearInterval(t)
  }, [])
  return { now: wall + (offset.data ?? 0), latest }
}
