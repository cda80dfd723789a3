//! What a voice message's bytes are: WebM or Ogg holding only Opus audio (what browsers'
//! `MediaRecorder` writes), and how long it plays — read off the container, never taken
//! from the client. Anything else (an image, a video, a text file, a truncated or made-up
//! container) is refused.
//!
//! WebM: the EBML header must name `webm`; every track must be audio; the duration is the
//! latest block's time (cluster time plus the block's offset, in the segment's timecode
//! scale). `MediaRecorder` writes segments and clusters of unknown size, so masters are
//! walked into rather than skipped. Ogg: every page starts with `OggS`; every stream's
//! first packet is `OpusHead`; the duration is the last page's granule position less the
//! pre-skip, at 48 kHz.

use serde::{Deserialize, Serialize};

/// The largest recording accepted (about 2 minutes at the 128 kbit/s browsers default to).
pub const MAX_AUDIO_BYTES: usize = 3 * 1024 * 1024;
/// The longest recording accepted.
pub const MAX_AUDIO_MS: u64 = 120_000;

/// A recording that passed: its type and how long it plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audio {
    /// `audio/webm` or `audio/ogg`.
    pub content_type: &'static str,
    pub duration_ms: u64,
}

/// Why a recording was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AudioRefusal {
    Empty,
    TooBig,
    NotAudio,
    TooLong,
}

impl AudioRefusal {
    /// What the caller reads.
    #[must_use]
    pub fn message(self) -> String {
        match self {
            Self::Empty => "The recording is empty; record your message again.".to_owned(),
            Self::TooBig => format!(
                "The recording is too large; at most {} MB.",
                MAX_AUDIO_BYTES / (1024 * 1024)
            ),
            Self::NotAudio => {
                "That is not a voice recording we can play (WebM or Ogg audio).".to_owned()
            }
            Self::TooLong => format!(
                "The recording is too long; at most {} minutes.",
                MAX_AUDIO_MS / 60_000
            ),
        }
    }
}

/// The recording in `bytes`, checked.
///
/// # Errors
/// The [`AudioRefusal`] that applies: empty, over [`MAX_AUDIO_BYTES`], not WebM or Ogg
/// Opus audio, or longer than [`MAX_AUDIO_MS`].
pub fn inspect(bytes: &[u8]) -> Result<Audio, AudioRefusal> {
    if bytes.is_empty() {
        return Err(AudioRefusal::Empty);
    }
    if bytes.len() > MAX_AUDIO_BYTES {
        return Err(AudioRefusal::TooBig);
    }
    let audio = if bytes.starts_with(&EBML_MAGIC) {
        Audio {
            content_type: "audio/webm",
            duration_ms: webm_duration(bytes).ok_or(AudioRefusal::NotAudio)?,
        }
    } else if bytes.starts_with(b"OggS") {
        Audio {
            content_type: "audio/ogg",
            duration_ms: ogg_duration(bytes).ok_or(AudioRefusal::NotAudio)?,
        }
    } else {
        return Err(AudioRefusal::NotAudio);
    };
    if audio.duration_ms > MAX_AUDIO_MS {
        return Err(AudioRefusal::TooLong);
    }
    Ok(audio)
}

const EBML_MAGIC: [u8; 4] = [0x1A, 0x45, 0xDF, 0xA3];
const EBML: u32 = 0x1A45_DFA3;
const DOC_TYPE: u32 = 0x4282;
const SEGMENT: u32 = 0x1853_8067;
const INFO: u32 = 0x1549_A966;
const TIMECODE_SCALE: u32 = 0x2A_D7B1;
const TRACKS: u32 = 0x1654_AE6B;
const TRACK_ENTRY: u32 = 0xAE;
const TRACK_TYPE: u32 = 0x83;
const CODEC_ID: u32 = 0x86;
const CLUSTER: u32 = 0x1F43_B675;
const TIMECODE: u32 = 0xE7;
const BLOCK_GROUP: u32 = 0xA0;
const BLOCK: u32 = 0xA1;
const SIMPLE_BLOCK: u32 = 0xA3;
/// Masters walked into (their children follow them).
const MASTERS: [u32; 6] = [SEGMENT, INFO, TRACKS, TRACK_ENTRY, CLUSTER, BLOCK_GROUP];
/// Matroska's audio track type.
const AUDIO_TRACK: u64 = 2;

/// An EBML variable-length integer at `at`: (value, length). IDs keep their marker bit.
fn vint(bytes: &[u8], at: usize, keep_marker: bool) -> Option<(u64, usize)> {
    let first = *bytes.get(at)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return None;
    }
    let mut value = if keep_marker {
        u64::from(first)
    } else {
        u64::from(first) & ((1u64 << (8 - len)) - 1)
    };
    for i in 1..len {
        value = (value << 8) | u64::from(*bytes.get(at + i)?);
    }
    Some((value, len))
}

fn uint(data: &[u8]) -> Option<u64> {
    (data.len() <= 8).then(|| data.iter().fold(0u64, |v, b| (v << 8) | u64::from(*b)))
}

/// The duration of a WebM recording holding only audio, in milliseconds.
fn webm_duration(bytes: &[u8]) -> Option<u64> {
    let mut at = 0;
    let mut doc_type_ok = false;
    let mut scale_ns: u64 = 1_000_000;
    let mut tracks = 0u32;
    let mut cluster_time: u64 = 0;
    let mut latest: Option<u64> = None;
    while at < bytes.len() {
        let (id, id_len) = vint(bytes, at, true)?;
        let (size, size_len) = vint(bytes, at + id_len, false)?;
        let body = at + id_len + size_len;
        let unknown = size == (1u64 << (7 * size_len)) - 1;
        let id = u32::try_from(id).ok()?;
        if MASTERS.contains(&id) {
            at = body;
            continue;
        }
        if unknown {
            return None;
        }
        let end = body.checked_add(usize::try_from(size).ok()?)?;
        let data = bytes.get(body..end)?;
        match id {
            EBML => {
                // The header's children: only the document type matters.
                let mut inner = 0;
                while inner < data.len() {
                    let (cid, cl) = vint(data, inner, true)?;
                    let (cs, sl) = vint(data, inner + cl, false)?;
                    let start = inner + cl + sl;
                    let stop = start.checked_add(usize::try_from(cs).ok()?)?;
                    if cid == u64::from(DOC_TYPE) {
                        doc_type_ok = data.get(start..stop)? == b"webm";
                    }
                    inner = stop;
                }
            }
            TIMECODE_SCALE => scale_ns = uint(data)?.max(1),
            TRACK_TYPE => {
                tracks += 1;
                if uint(data)? != AUDIO_TRACK {
                    return None;
                }
            }
            CODEC_ID if !data.starts_with(b"A_") => return None,
            TIMECODE => cluster_time = uint(data)?,
            SIMPLE_BLOCK | BLOCK => {
                let (_, track_len) = vint(data, 0, false)?;
                let rel = data.get(track_len..track_len + 2)?;
                let rel = i64::from(i16::from_be_bytes([rel[0], rel[1]]));
                let time = i64::try_from(cluster_time).ok()?.checked_add(rel)?.max(0);
                let time = u64::try_from(time).ok()?;
                latest = Some(latest.map_or(time, |l| l.max(time)));
            }
            _ => {}
        }
        at = end;
    }
    if !doc_type_ok || tracks == 0 {
        return None;
    }
    latest?.checked_mul(scale_ns).map(|ns| ns / 1_000_000)
}

/// The duration of an Ogg Opus recording, in milliseconds.
fn ogg_duration(bytes: &[u8]) -> Option<u64> {
    let mut at = 0;
    let mut pre_skip: Option<u64> = None;
    let mut last_granule: Option<u64> = None;
    while at < bytes.len() {
        let header = bytes.get(at..at + 27)?;
        if &header[0..4] != b"OggS" || header[4] != 0 {
            return None;
        }
        let beginning = header[5] & 0x02 != 0;
        let granule = i64::from_le_bytes(header[6..14].try_into().ok()?);
        let segments = usize::from(header[26]);
        let table = bytes.get(at + 27..at + 27 + segments)?;
        let body_len: usize = table.iter().map(|&s| usize::from(s)).sum();
        let body_at = at + 27 + segments;
        let body = bytes.get(body_at..body_at + body_len)?;
        if beginning {
            // Every stream must be Opus; its head carries the pre-skip.
            if !body.starts_with(b"OpusHead") || body.len() < 19 {
                return None;
            }
            pre_skip = Some(u64::from(u16::from_le_bytes([body[10], body[11]])));
        }
        if granule >= 0 {
            last_granule = Some(u64::try_from(granule).ok()?);
        }
        at = body_at + body_len;
    }
    let samples = last_granule?.saturating_sub(pre_skip?);
    Some(samples / 48)
}

#[cfg(test)]
#[path = "../../tests/support/recordings.rs"]
mod recordings;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webm_opus_is_audio_and_its_length_is_read_off_the_blocks() {
        let bytes = recordings::webm(7_300, false);
        assert_eq!(
            inspect(&bytes),
            Ok(Audio {
                content_type: "audio/webm",
                duration_ms: 7_300
            })
        );
    }

    #[test]
    fn ogg_opus_is_audio_and_its_length_is_the_last_granule() {
        let bytes = recordings::ogg(12_000);
        assert_eq!(
            inspect(&bytes),
            Ok(Audio {
                content_type: "audio/ogg",
                duration_ms: 12_000
            })
        );
    }

    #[test]
    fn other_files_are_refused() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(inspect(png), Err(AudioRefusal::NotAudio));
        assert_eq!(inspect(b"hello"), Err(AudioRefusal::NotAudio));
        assert_eq!(inspect(b""), Err(AudioRefusal::Empty));
        // A video track is not a voice message.
        assert_eq!(
            inspect(&recordings::webm(2_000, true)),
            Err(AudioRefusal::NotAudio)
        );
        // A truncated file is not one either.
        let whole = recordings::webm(2_000, false);
        assert_eq!(
            inspect(&whole[..whole.len() - 3]),
            Err(AudioRefusal::NotAudio)
        );
        let ogg = recordings::ogg(2_000);
        assert_eq!(inspect(&ogg[..ogg.len() - 1]), Err(AudioRefusal::NotAudio));
    }

    #[test]
    fn limits_hold() {
        let long = recordings::webm(MAX_AUDIO_MS + 1_000, false);
        assert_eq!(inspect(&long), Err(AudioRefusal::TooLong));
        assert_eq!(
            inspect(&recordings::ogg(MAX_AUDIO_MS + 20)),
            Err(AudioRefusal::TooLong)
        );
        assert!(inspect(&recordings::webm(MAX_AUDIO_MS, false)).is_ok());
        let mut big = recordings::webm(1_000, false);
        big.resize(MAX_AUDIO_BYTES + 1, 0);
        assert_eq!(inspect(&big), Err(AudioRefusal::TooBig));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let whole = recordings::webm(3_000, false);
        for _ in 0..2_000 {
            let mut bytes = whole.clone();
            for _ in 0..4 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let i = usize::try_from(seed % bytes.len() as u64).unwrap_or(0);
                bytes[i] = (seed >> 32) as u8;
            }
            let _ = inspect(&bytes);
        }
    }
}
