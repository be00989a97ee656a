import { UPLOAD_HEADERS, addTrackResponseSchema, type AddTrackResponse } from '@dcmx/node/api'

/** Uploads audio to a node with XMLHttpRequest (fetch has no upload progress), reporting bytes sent. */
export function uploadTrack(
  node: string,
  file: Blob,
  meta: { title: string; artist: string; album?: string; duration?: number },
  auth: { wallet: string; expires: number; signature: string },
  onProgress: (sent: number, total: number) => void,
  signal?: AbortSignal,
): Promise<AddTrackResponse> {
  const q = new URLSearchParams({ title: meta.title, artist: meta.artist })
  if (meta.album) q.set('album', meta.album)
  if (meta.duration) q.set('duration', String(Math.round(meta.duration)))
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('POST', `${node}/tracks?${q}`)
    xhr.setRequestHeader('content-type', file.type.startsWith('audio/') ? file.type : 'application/octet-stream')
    xhr.setRequestHeader(UPLOAD_HEADERS.wallet, auth.wallet)
    xhr.setRequestHeader(UPLOAD_HEADERS.expires, String(auth.expires))
    xhr.setRequestHeader(UPLOAD_HEADERS.signature, auth.signature)
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size)
    xhr.onerror = () => reject(new Error(`The node at ${node} did not answer the upload`))
    xhr.onabort = () => reject(new DOMException('Upload cancelled', 'AbortError'))
    xhr.onload = () => {
      let body: unknown
      try {
        body = JSON.parse(xhr.responseText)
      } catch {
        return reject(new Error(`The node answered ${xhr.status} with something that is not JSON`))
      }
      if (xhr.status >= 400) return reject(new Error(`${(body as { message?: string }).message ?? 'Upload refused'} (HTTP ${xhr.status})`))
      const parsed = addTrackResponseSchema.safeParse(body)
      if (!parsed.success) return reject(new Error('The node answered the upload with an unexpected shape'))
      resolve(parsed.data)
    }
    signal?.addEventListener('abort', () => xhr.abort(), { once: true })
    xhr.send(file)
  })
}

/** The audio's duration in seconds as the browser decodes it (0 when it cannot tell). */
export function audioDuration(file: Blob): Promise<number> {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file)
    const a = new Audio()
    const done = (d: number) => {
      URL.revokeObjectURL(url)
      resolve(Number.isFinite(d) ? d : 0)
    }
    a.preload = 'metadata'
    a.onloadedmetadata = () => done(a.duration)
    a.onerror = () => done(0)
    a.src = url
  })
}
