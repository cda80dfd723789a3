//! Recordings made byte by byte the way browsers' `MediaRecorder` lays them out, for tests
//! of what the server accepts as a voice message: WebM (a segment and clusters of unknown
//! size, blocks of Opus) and Ogg Opus.
#![allow(dead_code)]

/// An EBML element with an 8-byte size.
fn element(id: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.push(0x01);
    out.extend_from_slice(&(body.len() as u64).to_be_bytes()[1..]);
    out.extend_from_slice(body);
    out
}

/// An element of unknown size: its children follow.
fn open(id: &[u8]) -> Vec<u8> {
    let mut out = id.to_vec();
    out.extend_from_slice(&[0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    out
}

fn uint(id: &[u8], value: u64) -> Vec<u8> {
    element(id, &value.to_be_bytes())
}

/// A WebM recording of `duration_ms` of Opus audio (with `video`, a VP8 track too): a
/// block every second and one at the very end.
pub fn webm(duration_ms: u64, video: bool) -> Vec<u8> {
    let mut out = element(&[0x1A, 0x45, 0xDF, 0xA3], &element(&[0x42, 0x82], b"webm"));
    out.extend(open(&[0x18, 0x53, 0x80, 0x67]));
    out.extend(element(
        &[0x15, 0x49, 0xA9, 0x66],
        &uint(&[0x2A, 0xD7, 0xB1], 1_000_000),
    ));
    let mut tracks = element(
        &[0xAE],
        &[
            uint(&[0xD7], 1),
            uint(&[0x83], 2),
            element(&[0x86], b"A_OPUS"),
        ]
        .concat(),
    );
    if video {
        tracks.extend(element(
            &[0xAE],
            &[
                uint(&[0xD7], 2),
                uint(&[0x83], 1),
                element(&[0x86], b"V_VP8"),
            ]
            .concat(),
        ));
    }
    out.extend(element(&[0x16, 0x54, 0xAE, 0x6B], &tracks));
    let mut times: Vec<u64> = (0..duration_ms).step_by(1_000).collect();
    times.push(duration_ms);
    let mut cluster_start = None;
    for t in times {
        let start = t - t % 10_000;
        if cluster_start != Some(start) {
            cluster_start = Some(start);
            out.extend(open(&[0x1F, 0x43, 0xB6, 0x75]));
            out.extend(uint(&[0xE7], start));
        }
        let rel = i16::try_from(t - start).unwrap_or(i16::MAX);
        let mut block = vec![0x81];
        block.extend_from_slice(&rel.to_be_bytes());
        block.extend_from_slice(&[0x80, 0xFC, 0xFF, 0xFE]);
        out.extend(element(&[0xA3], &block));
    }
    out
}

/// One Ogg page holding `packet` (under 255 bytes).
fn page(flags: u8, granule: u64, sequence: u32, packet: &[u8]) -> Vec<u8> {
    let mut out = b"OggS".to_vec();
    out.push(0);
    out.push(flags);
    out.extend_from_slice(&granule.to_le_bytes());
    out.extend_from_slice(&0x00C0_FFEEu32.to_le_bytes());
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.push(1);
    out.push(u8::try_from(packet.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(packet);
    out
}

/// An Ogg Opus recording of `duration_ms` (48 kHz, pre-skip 312): a page a second.
pub fn ogg(duration_ms: u64) -> Vec<u8> {
    const PRE_SKIP: u64 = 312;
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(1);
    head.extend_from_slice(&(PRE_SKIP as u16).to_le_bytes());
    head.extend_from_slice(&48_000u32.to_le_bytes());
    head.extend_from_slice(&[0, 0, 0]);
    let mut out = page(0x02, 0, 0, &head);
    out.extend(page(0, 0, 1, b"OpusTags\0\0\0\0\0\0\0\0"));
    let mut times: Vec<u64> = (1_000..duration_ms).step_by(1_000).collect();
    times.push(duration_ms);
    let last = times.len() - 1;
    for (sequence, (i, t)) in (2..).zip(times.into_iter().enumerate()) {
        let flags = if i == last { 0x04 } else { 0 };
        out.extend(page(
            flags,
            PRE_SKIP + t * 48,
            sequence,
            &[0xFC, 0xFF, 0xFE],
        ));
    }
    out
}
