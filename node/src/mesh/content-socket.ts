import { connect } from 'node:net'
import type { NetConnectOpts, Socket } from 'node:net'

import { PeerRequestError } from '../core/errors.ts'

/** An open `GET /content` response read over a plain socket. */
export interface ContentResponse {
  statusCode: number
  /** Lower-case header names. */
  headers: Map<string, string>
  /** Body bytes announced by Content-Length. */
  length: number
  /**
   * The body in pieces of `pieceSize` bytes (the last one shorter), each a Buffer that owns its memory, so it can be
   * written and then transferred to the hash worker without a copy. Ends early, without error, if the peer closes
   * before Content-Length bytes (the caller compares with what it expects); throws on a socket error or abort.
   */
  pieces: AsyncGenerator<Buffer>
  /** Closes the socket (idempotent). */
  destroy(): void
}

export interface ContentRequest {
  host: string
  port: number
  path: string
  headers: Record<string, string>
  signal: AbortSignal
  /** Idle timeout: connect, response head and every body read. */
  timeoutMs: number
  pieceSize: number
  /** Gives a buffer of exactly `size` bytes that owns its memory (a pool; default: a fresh one). */
  alloc?: (size: number) => Buffer
  /** Largest response head accepted. */
  maxHeadBytes?: number
}

/** Filled pieces waiting for the consumer before the socket is paused. */
const QUEUE_PIECES = 4
const HEAD_BUFFER = 16 << 10
const SAFE_HEADER = /^[\t\x20-\x7e]*$/

/**
 * A minimal HTTP/1.1 GET for `/content` bodies (one connection per request, `Connection: close`): the socket reads
 * straight into piece buffers (`onread` with user buffers), so the body costs no allocation per read, no HTTP parser
 * in JS and no copy. undici spent ~4x the CPU of the whole transfer here (its parser, a fresh Buffer per 64 KiB read,
 * streams). Only what /content needs: a Content-Length body (chunked transfer coding is refused).
 */
export function requestContent(req: ContentRequest): Promise<ContentResponse> {
  for (const [k, v] of Object.entries(req.headers)) {
    if (!/^[a-z0-9-]+$/i.test(k) || !SAFE_HEADER.test(v)) return Promise.reject(new PeerRequestError(`Bad request header ${JSON.stringify(k)}`))
  }
  const maxHead = req.maxHeadBytes ?? 64 << 10
  const hostHeader = req.host.includes(':') ? `[${req.host}]:${req.port}` : `${req.host}:${req.port}`
  const lines = [`GET ${req.path} HTTP/1.1`, `host: ${hostHeader}`, 'connection: close', ...Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`)]
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')

  return new Promise<ContentResponse>((resolveHead, rejectHead) => {
    let headBuf = Buffer.allocUnsafe(HEAD_BUFFER)
    let headLen = 0
    let inHead = true
    let remaining = 0
    let cur: Buffer | undefined
    let filled = 0
    const queue: Buffer[] = []
    let ended = false
    let failure: Error | undefined
    let wake: (() => void) | undefined
    let paused = false
    let socket: Socket | undefined
    let settledHead = false

    const notify = (): void => {
      const w = wake
      wake = undefined
      w?.()
    }
    const fail = (err: Error): void => {
      if (!failure) failure = err
      socket?.destroy()
      if (!settledHead) {
        settledHead = true
        rejectHead(err)
      }
      notify()
    }
    const alloc = req.alloc ?? ((size: number) => Buffer.allocUnsafeSlow(size))
    const newPiece = (): void => {
      cur = remaining > 0 ? alloc(Math.min(req.pieceSize, remaining)) : undefined
      filled = 0
    }
    const pushPiece = (): void => {
      if (cur && filled > 0) queue.push(filled === cur.length ? cur : cur.subarray(0, filled))
      newPiece()
      notify()
    }
    /** Body bytes already read elsewhere (the tail of the head's read): copied into place. */
    const takeBody = (data: Buffer): void => {
      let off = 0
      while (off < data.length && cur) {
        const n = Math.min(data.length - off, cur.length - filled)
        data.copy(cur, filled, off, off + n)
        filled += n
        off += n
        remaining -= n
        if (filled === cur.length) pushPiece()
      }
    }
    const parseHead = (): void => {
      const end = headBuf.subarray(0, headLen).indexOf('\r\n\r\n')
      if (end < 0) {
        if (headLen >= maxHead) fail(new PeerRequestError('Peer sent an oversized response head'))
        return
      }
      const text = headBuf.toString('latin1', 0, end)
      const [statusLine = '', ...rest] = text.split('\r\n')
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
      if (!m) return fail(new PeerRequestError('Peer sent a malformed HTTP response'))
      const headers = new Map<string, string>()
      for (const line of rest) {
        const i = line.indexOf(':')
        if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim())
      }
      const te = headers.get('transfer-encoding')
      const cl = headers.get('content-length')
      const statusCode = Number(m[1])
      if (te && te.toLowerCase() !== 'identity') {
        if (statusCode === 200 || statusCode === 206) return fail(new PeerRequestError('Peer sent /content without a Content-Length'))
      }
      const length = cl !== undefined && /^\d{1,15}$/.test(cl) ? Number(cl) : -1
      if ((statusCode === 200 || statusCode === 206) && length < 0) return fail(new PeerRequestError('Peer sent /content without a valid Content-Length'))
      inHead = false
      remaining = Math.max(0, length)
      newPiece()
      const tail = headBuf.subarray(end + 4, headLen)
      headBuf = Buffer.alloc(0)
      takeBody(Buffer.from(tail))
      if (remaining === 0) ended = true
      settledHead = true
      resolveHead({ statusCode, headers, length: Math.max(0, length), pieces: pieces(), destroy: () => socket?.destroy() })
      if (ended) socket?.end()
    }

    const onread = {
      buffer: (): Buffer => {
        if (inHead) {
          if (headLen === headBuf.length) {
            const bigger = Buffer.allocUnsafe(headBuf.length * 2)
            headBuf.copy(bigger, 0, 0, headLen)
            headBuf = bigger
          }
          return headBuf.subarray(headLen)
        }
        // Read straight into the free tail of the current piece (a spare buffer once the body is complete).
        return cur ? cur.subarray(filled) : Buffer.allocUnsafe(HEAD_BUFFER)
      },
      callback: (n: number, buf: Buffer): boolean => {
        if (failure || ended) return false
        if (inHead) {
          if (buf.buffer !== headBuf.buffer || buf.byteOffset !== headBuf.byteOffset + headLen) buf.copy(headBuf, headLen, 0, n)
          headLen += n
          parseHead()
        } else if (cur && buf.buffer === cur.buffer && buf.byteOffset === cur.byteOffset + filled) {
          const take = Math.min(n, remaining)
          filled += take
          remaining -= take
          if (filled === cur.length || remaining === 0) pushPiece()
        } else {
          takeBody(buf.subarray(0, Math.min(n, remaining)))
        }
        if (!inHead && remaining === 0 && !ended) {
          // The whole body is here: half-close (not a reset), so the server's last writes complete normally.
          ended = true
          socket?.end()
          notify()
          return false
        }
        if (queue.length >= QUEUE_PIECES && !paused) {
          paused = true
          socket?.pause()
        }
        return true
      },
    }

    async function* pieces(): AsyncGenerator<Buffer> {
      try {
        for (;;) {
          const p = queue.shift()
          if (p) {
            if (paused && queue.length < QUEUE_PIECES && !ended && !failure) {
              paused = false
              socket?.resume()
            }
            yield p
            continue
          }
          if (failure) throw failure
          if (ended) return
          await new Promise<void>((r) => (wake = r))
        }
      } finally {
        socket?.destroy()
      }
    }

    const onAbort = (): void => fail(req.signal.reason instanceof Error ? req.signal.reason : new PeerRequestError('aborted'))
    if (req.signal.aborted) return onAbort()
    req.signal.addEventListener('abort', onAbort, { once: true })
    socket = connect({ host: req.host, port: req.port, noDelay: true, onread } as NetConnectOpts)
    socket.setTimeout(req.timeoutMs, () => fail(new PeerRequestError(`Peer timed out after ${req.timeoutMs} ms`)))
    socket.on('error', (err) => fail(new PeerRequestError(`Peer connection failed: ${err.message}`, { cause: err })))
    socket.on('close', () => {
      req.signal.removeEventListener('abort', onAbort)
      if (inHead) fail(new PeerRequestError('Peer closed the connection before answering'))
      // Closed before Content-Length: hand over what arrived; the caller sees the body end short.
      if (!ended && cur && filled > 0) {
        remaining = 0
        pushPiece()
      }
      ended = true
      notify()
    })
    // Flowing mode, so the end of the stream is seen (the bytes themselves all go to `onread`).
    socket.resume()
    socket.write(head)
  })
}
