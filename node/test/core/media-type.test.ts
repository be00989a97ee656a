import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { detectMediaType } from '../../src/core/media-type.ts'

const bytes = (...parts: (string | number[])[]) =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)))

describe('detectMediaType', () => {
  it('recognises each audio container from its first bytes', () => {
    assert.equal(detectMediaType(bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt ')), 'audio/wav')
    assert.equal(detectMediaType(bytes('fLaC', [0, 0, 0, 0x22])), 'audio/flac')
    assert.equal(detectMediaType(bytes('OggS', [0, 2])), 'audio/ogg')
    assert.equal(detectMediaType(bytes('ID3', [4, 0, 0])), 'audio/mpeg')
    assert.equal(detectMediaType(bytes([0xff, 0xfb, 0x90, 0x64])), 'audio/mpeg') // MPEG-1 layer III
    assert.equal(detectMediaType(bytes([0xff, 0xf1, 0x50, 0x80])), 'audio/aac') // ADTS
    assert.equal(detectMediaType(bytes([0, 0, 0, 0x20], 'ftypM4A ')), 'audio/mp4')
    assert.equal(detectMediaType(bytes([0x1a, 0x45, 0xdf, 0xa3])), 'audio/webm')
    assert.equal(detectMediaType(bytes('FORM', [0, 0, 0, 0], 'AIFF')), 'audio/aiff')
  })

  it('answers application/octet-stream for anything else, including too few bytes', () => {
    assert.equal(detectMediaType(bytes('RIFF', [0, 0, 0, 0], 'AVI ')), 'application/octet-stream')
    assert.equal(detectMediaType(bytes('RIF')), 'application/octet-stream')
    assert.equal(detectMediaType(new Uint8Array()), 'application/octet-stream')
    assert.equal(detectMediaType(bytes('<html>')), 'application/octet-stream')
    assert.equal(detectMediaType(bytes([0xff, 0x00])), 'application/octet-stream')
  })
})
