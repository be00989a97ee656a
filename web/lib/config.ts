import { z } from 'zod'

/** Where the app finds the chain and the mesh: read on the server from the environment at request time, so one
 * build serves any chain (`DCMX_CHAIN_ID`, `DCMX_RPC_URL`, `DCMX_NODE_URLS` comma-separated). */
export const appConfigSchema = z.object({
  chainId: z.coerce.number().int().positive(),
  rpcUrl: z.url(),
  nodes: z.array(z.url()).min(1),
})
export type AppConfig = z.infer<typeof appConfigSchema>

export const LOCAL_CHAIN_ID = 31337

export function readAppConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return appConfigSchema.parse({
    chainId: env.DCMX_CHAIN_ID ?? LOCAL_CHAIN_ID,
    rpcUrl: env.DCMX_RPC_URL ?? 'http://127.0.0.1:8545',
    nodes: (env.DCMX_NODE_URLS ?? 'http://127.0.0.1:8080')
      .split(',')
      .map((s) => s.trim().replace(/\/+$/, ''))
      .filter(Boolean),
  })
}
