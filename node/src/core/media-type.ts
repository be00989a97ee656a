/**
 * The media type of audio bytes, from their first bytes (magic numbers), so `/content/{hash}` can answer with the
 * real `Content-Type`: wallets and browsers pick a player for `animation_url` by it. Only what the head of a file
 * proves is trusted; anything else is `application/octet-stream`.
 */
export const SNIFF_BYTES = 64

export type MediaType =
  | 'audio/mpeg'
  | 'audio/wav'
  | 'audio/flac'
  | 'audio/ogg'
  | 'audio/mp4'
  | 'audio/aac'
  | 'audio/webm'
  | 'audio/aiff'
  | 'application/octet-stream'

const ascii = (b: Uint8Array, at: number, s: string) => {
  if (b.length < at + s.length) return false
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false
  return true
}

export function detectMediaType(head: Uint8Array): MediaType {
  if (ascii(head, 0, 'RIFF') && ascii(head, 8, 'WAVE')) return 'audio/wav'
  if (ascii(head, 0, 'fLaC')) return 'audio/flac'
  if (ascii(head, 0, 'OggS')) return 'audio/ogg'
  if (ascii(head, 0, 'FORM') && (ascii(head, 8, 'AIFF') || ascii(head, 8, 'AIFC'))) return 'audio/aiff'
  if (ascii(head, 4, 'ftyp')) return 'audio/mp4' // M4A/MP4 audio (ISO base media)
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'audio/webm' // EBML
  if (ascii(head, 0, 'ID3')) return 'audio/mpeg' // an ID3v2 tag precedes MPEG audio frames
  // Frame sync: 11 set bits. Layer bits 00 mean ADTS AAC; otherwise MPEG-1/2 audio (MP3, MP2).
  if (head.length >= 2 && head[0] === 0xff && ((head[1] as number) & 0xe0) === 0xe0) {
    return ((head[1] as number) & 0x06) === 0 ? 'audio/aac' : 'audio/mpeg'
  }
  return 'application/octet-stream'
}
