// Demo audio for the local network, generated in code (nothing downloaded): short tone melodies rendered to 16-bit
// PCM, written as a real RIFF/WAVE file or encoded to a real MP3 with lamejs (a pure-JS LAME port from npm).
import { Mp3Encoder } from "@breezystack/lamejs";

export type DemoMediaType = "audio/wav" | "audio/mpeg";

export interface DemoTrack {
  title: string;
  artistName: string;
  album: string;
  mediaType: DemoMediaType;
  /** A file name for the track (what an artist would have uploaded). */
  fileName: string;
  /** Whole seconds. */
  duration: number;
  bytes: Uint8Array;
}

/** A melody: notes as semitones from A4 (null = rest), each `beats` long, at `bpm`, repeated to `seconds`. */
export interface Melody {
  notes: Array<[semitone: number | null, beats: number]>;
  bpm: number;
  seconds: number;
  sampleRate: number;
  /** Adds a soft fifth under every note. */
  harmony?: boolean;
}

/** Renders a melody to mono 16-bit PCM: sine partials with a short attack and an exponential decay per note. */
export function renderMelody(m: Melody): Int16Array {
  const total = Math.round(m.seconds * m.sampleRate);
  const out = new Int16Array(total);
  const beat = (60 / m.bpm) * m.sampleRate;
  let pos = 0;
  for (let i = 0; pos < total; i = (i + 1) % m.notes.length) {
    const [semitone, beats] = m.notes[i];
    const len = Math.min(Math.round(beats * beat), total - pos);
    if (semitone !== null) {
      const f = 440 * 2 ** (semitone / 12);
      const attack = Math.min(0.01 * m.sampleRate, len / 4);
      for (let n = 0; n < len; n++) {
        const t = n / m.sampleRate;
        const env = Math.min(1, n / attack) * Math.exp((-3 * n) / len);
        let v = Math.sin(2 * Math.PI * f * t) + 0.3 * Math.sin(4 * Math.PI * f * t) + 0.1 * Math.sin(6 * Math.PI * f * t);
        if (m.harmony) v += 0.4 * Math.sin(2 * Math.PI * f * 0.75 * t);
        out[pos + n] = Math.round(Math.max(-1, Math.min(1, (0.45 * env * v) / (m.harmony ? 1.8 : 1.4))) * 32767);
      }
    }
    pos += len;
  }
  return out;
}

/** A canonical 44-byte-header RIFF/WAVE file (PCM, 16-bit, mono). */
export function encodeWav(pcm: Int16Array, sampleRate: number): Uint8Array {
  const dataBytes = pcm.length * 2;
  const buf = new ArrayBuffer(44 + dataBytes);
  const v = new DataView(buf);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) v.setUint8(at + i, s.charCodeAt(i));
  };
  ascii(0, "RIFF");
  v.setUint32(4, 36 + dataBytes, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true); // fmt chunk size
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, sampleRate * 2, true); // byte rate
  v.setUint16(32, 2, true); // block align
  v.setUint16(34, 16, true); // bits per sample
  ascii(36, "data");
  v.setUint32(40, dataBytes, true);
  for (let i = 0; i < pcm.length; i++) v.setInt16(44 + i * 2, pcm[i], true);
  return new Uint8Array(buf);
}

/** MPEG-1 Layer III, constant bit rate, mono. */
export function encodeMp3(pcm: Int16Array, sampleRate: number, kbps = 128): Uint8Array {
  const encoder = new Mp3Encoder(1, sampleRate, kbps);
  const parts: Uint8Array[] = [];
  const block = 1152 * 16;
  for (let i = 0; i < pcm.length; i += block) parts.push(encoder.encodeBuffer(pcm.subarray(i, i + block)));
  parts.push(encoder.flush());
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const ARTIST = "The Local Meshers";
const ALBUM = "Demo Tones";

/**
 * The demo tracks: one WAV over 1 MiB (two manifest chunks, so range mapping crosses a chunk edge) and two MP3s.
 * Deterministic: the same bytes (so the same content hashes) every run.
 */
export function demoTracks(): DemoTrack[] {
  const sampleRate = 44_100;
  const firstLight = renderMelody({
    sampleRate,
    seconds: 14,
    bpm: 96,
    notes: [[0, 1], [4, 1], [7, 1], [12, 2], [7, 1], [4, 1], [5, 1], [9, 1], [12, 2], [null, 1]],
  });
  const lullaby = renderMelody({
    sampleRate,
    seconds: 24,
    bpm: 72,
    harmony: true,
    notes: [[-5, 1], [0, 1], [2, 1], [4, 2], [2, 1], [0, 1], [-1, 1], [0, 3], [null, 1]],
  });
  const reaction = renderMelody({
    sampleRate,
    seconds: 16,
    bpm: 140,
    notes: [[3, 0.5], [3, 0.5], [10, 1], [8, 0.5], [7, 0.5], [5, 1], [3, 0.5], [null, 0.5], [-2, 1], [3, 2]],
  });
  return [
    { title: "First Light", artistName: ARTIST, album: ALBUM, mediaType: "audio/wav", fileName: "first-light.wav", duration: 14, bytes: encodeWav(firstLight, sampleRate) },
    { title: "Mesh Lullaby", artistName: ARTIST, album: ALBUM, mediaType: "audio/mpeg", fileName: "mesh-lullaby.mp3", duration: 24, bytes: encodeMp3(lullaby, sampleRate, 128) },
    { title: "Chain Reaction", artistName: ARTIST, album: ALBUM, mediaType: "audio/mpeg", fileName: "chain-reaction.mp3", duration: 16, bytes: encodeMp3(reaction, sampleRate, 160) },
  ];
}
