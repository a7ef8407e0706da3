//! The one chunked transfer loop of `dump`, `load`, `verify` and the sequential
//! `bench` tests: a range of the disk, walked in buffer-sized pieces, with progress.

use std::time::Instant;

use crate::progress::Progress;

/// What a [`chunked`] walk did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Walked {
    /// Bytes walked (the whole range).
    pub bytes: u64,
    /// Pieces handed to the step (requests made).
    pub chunks: u64,
    /// Seconds the walk took.
    pub secs: f64,
}

/// Walks `total` bytes of the disk from byte `offset` in pieces of at most `buf.len()` bytes.
///
/// `step(at, piece)` gets each piece's disk offset and the front of `buf` it may read
/// into or write from. The bar advances after every piece. An empty `buf` walks nothing.
///
/// # Errors
/// The first error a step returns; the walk stops there.
pub fn chunked<E>(
    offset: u64,
    total: u64,
    buf: &mut [u8],
    bar: &Progress,
    mut step: impl FnMut(u64, &mut [u8]) -> Result<(), E>,
) -> Result<Walked, E> {
    let start = Instant::now();
    let chunk = buf.len() as u64;
    let mut done = 0u64;
    let mut chunks = 0u64;
    while done < total && chunk > 0 {
        let n = usize::try_from((total - done).min(chunk)).unwrap_or(buf.len());
        step(offset + done, &mut buf[..n])?;
        done += n as u64;
        chunks += 1;
        bar.add(n as u64);
    }
    Ok(Walked {
        bytes: done,
        chunks,
        secs: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_every_byte_once_in_order() {
        let disk: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut copy = Vec::new();
        let mut offsets = Vec::new();
        let mut buf = vec![0u8; 4096];
        let bar = Progress::new("t", 9_000, false);
        let w = chunked(1000, 9000, &mut buf, &bar, |at, piece| {
            offsets.push((at, piece.len()));
            let at = usize::try_from(at).unwrap();
            piece.copy_from_slice(&disk[at..at + piece.len()]);
            copy.extend_from_slice(piece);
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(offsets, vec![(1000, 4096), (5096, 4096), (9192, 808)]);
        assert_eq!(copy, disk[1000..]);
        assert_eq!((w.bytes, w.chunks), (9000, 3));
        assert_eq!(bar.done(), 9000);
    }

    #[test]
    fn stops_at_the_first_error() {
        let mut buf = vec![0u8; 512];
        let bar = Progress::new("t", 2048, false);
        let mut calls = 0;
        let r = chunked(0, 2048, &mut buf, &bar, |at, _| {
            calls += 1;
            if at == 512 { Err(at) } else { Ok(()) }
        });
        assert_eq!(r, Err(512));
        assert_eq!(calls, 2);
        assert_eq!(bar.done(), 512, "only the finished piece counts");
    }

    #[test]
    fn nothing_to_do() {
        let mut buf = vec![0u8; 512];
        let bar = Progress::new("t", 0, false);
        let w = chunked(4096, 0, &mut buf, &bar, |_, _| Err(())).unwrap();
        assert_eq!((w.bytes, w.chunks), (0, 0));
        let w = chunked(0, 100, &mut [], &bar, |_, _| Err(())).unwrap();
        assert_eq!((w.bytes, w.chunks), (0, 0));
    }
}
