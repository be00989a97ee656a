'use client'

import {
  catalogArtistSalesResponseSchema,
  catalogEditionResponseSchema,
  catalogListingsResponseSchema,
  catalogOwnerResponseSchema,
  catalogRewardsResponseSchema,
  catalogTrackResponseSchema,
  catalogTracksResponseSchema,
  statsResponseSchema,
} from '@dcmx/node/api'
import { useQuery } from '@tanstack/react-query'
import type { z } from 'zod'

import { useAppConfig } from '@/app/providers.tsx'
import { nodeRequest } from '@/lib/node-client.ts'

/** Reads the catalog from the first configured node that answers (each answer parsed with the API's schema). */
function useNodeQuery<S extends z.ZodType>(key: readonly unknown[], path: string | null, schema: S, refetchInterval?: number) {
  const { nodes } = useAppConfig()
  return useQuery({
    queryKey: ['node', ...key],
    enabled: path !== null,
    refetchInterval,
    queryFn: async ({ signal }) => {
      let last: unknown
      for (const node of nodes) {
        try {
          return await nodeRequest(node, path!, schema, { signal })
        } catch (error) {
          last = error
          if ((error as { status?: number }).status === 404) throw error
        }
      }
      throw last
    },
  })
}

export const useCatalogTracks = (q: string) =>
  useNodeQuery(['tracks', q], `/catalog/tracks?limit=100${q ? `&q=${encodeURIComponent(q)}` : ''}`, catalogTracksResponseSchema, 5_000)
/** `hash` comes from the URL: only a well-formed content hash reaches the node. */
export const useCatalogTrack = (hash: string) =>
  useNodeQuery(['track', hash], /^[0-9a-f]{64}$/.test(hash) ? `/catalog/tracks/${hash}` : null, catalogTrackResponseSchema, 5_000)
export const useCatalogEdition = (id: number) => useNodeQuery(['edition', id], `/catalog/editions/${id}?limit=200`, catalogEditionResponseSchema, 3_000)
export const useListings = (query: string | null) => useNodeQuery(['listings', query], query === null ? null : `/catalog/listings?limit=200&${query}`, catalogListingsResponseSchema, 3_000)
export const useOwnedTokens = (address?: string) =>
  useNodeQuery(['owner', address], address ? `/catalog/owners/${address}` : null, catalogOwnerResponseSchema, 3_000)
export const useArtistSales = (address?: string) =>
  useNodeQuery(['sales', address], address ? `/catalog/artists/${address}/sales?limit=50` : null, catalogArtistSalesResponseSchema, 3_000)
export const useRewards = (node?: string) => useNodeQuery(['rewards', node], node ? `/catalog/rewards/${node}` : null, catalogRewardsResponseSchema, 3_000)

/** One node's own /stats (not the first-that-answers: the dashboard shows every node). */
export function useNodeStats(node: string) {
  return useQuery({
    queryKey: ['stats', node],
    refetchInterval: 3_000,
    queryFn: ({ signal }) => nodeRequest(node, '/stats', statsResponseSchema, { signal }),
  })
}
