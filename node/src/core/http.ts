/**
 * node:http taken with `process.getBuiltinModule`, never with an ESM import. An ESM import of a built-in builds a
 * namespace of all its exports, and node:http's lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters then
 * load Node's bundled undici: ~14 MiB of RSS and tens of ms at start for a process that never opens a WebSocket
 * (measured: a process that loads only node:http, 58.9 MiB by import, 45.2 MiB this way). Import node:http's
 * types with `import type` only (an erased type import loads nothing).
 */
export const http = process.getBuiltinModule('node:http')
