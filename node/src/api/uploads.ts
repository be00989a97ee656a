/**
 * Wallet-signed uploads (POST /tracks without the operator token): the uploader signs, with `personal_sign`, a
 * message naming this node and an expiry, and sends the three headers below. Plain functions and constants only, so
 * the web app imports them through `@dcmx/node/api`.
 */
export const UPLOAD_HEADERS = {
  wallet: 'x-dcmx-upload-wallet',
  expires: 'x-dcmx-upload-expires',
  signature: 'x-dcmx-upload-signature',
} as const

/** Longest validity a node accepts for one upload authorization. */
export const UPLOAD_AUTH_MAX_SEC = 3600

/** The exact text the wallet signs (EIP-191): bound to one node, one wallet and an expiry (unix seconds). */
export function uploadAuthMessage(node: string, wallet: string, expires: number): string {
  return `DCMX upload\nnode: ${node.toLowerCase()}\nwallet: ${wallet.toLowerCase()}\nexpires: ${expires}`
}
