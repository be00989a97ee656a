// Temporary: replaced by the websw branch's formatting library.
import { formatEther } from 'viem'
export const shortAddress = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`
export const formatEth = (wei: bigint | string) => `${formatEther(BigInt(wei))} ETH`
export const formatDcmx = (wei: bigint | string) => `${formatEther(BigInt(wei))} DCMX`
export const formatBytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`)
export const formatDuration = (s: number) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
