//! Moves decompressed bytes from the reading thread to the extracting thread in large reusable
//! buffers, so that decompression and file writes run on two cores at once.

use crate::digest::StreamDigest;
use std::io::{self, Read};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};

const CHUNK_SIZE: usize = 1 << 20;
/// Enough buffers to ride over a burst of small files on the writing side without letting
/// the reader run far ahead.
const CHUNKS_IN_FLIGHT: usize = 8;

struct Chunk {
    buf: Box<[u8]>,
    len: usize,
}

/// Creates the two ends of a chunk pipe; the reading end hashes the stream when `digest` is set.
pub(crate) fn pipe(digest: bool) -> (ChunkSender, ChunkReader) {
    let (full_tx, full_rx) = mpsc::sync_channel(CHUNKS_IN_FLIGHT);
    let (empty_tx, empty_rx) = mpsc::channel();
    let sender = ChunkSender {
        full: full_tx,
        empty: empty_rx,
    };
    let reader = ChunkReader {
        full: full_rx,
        empty: empty_tx,
        current: None,
        pos: 0,
        digest: digest.then(StreamDigest::default),
        reached_end: false,
    };
    (sender, reader)
}

/// How a `ChunkSender::pump` ended without a read error.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pumped {
    /// The source reached end of file and every byte was handed over.
    SourceDrained,
    /// The reading end went away (it stopped on an error of its own).
    ReaderGone,
}

pub(crate) struct ChunkSender {
    full: SyncSender<Chunk>,
    empty: Receiver<Chunk>,
}

impl ChunkSender {
    /// Copies `source` to the reading end until either side is done; dropping `self` afterwards
    /// is what signals end of stream.
    pub(crate) fn pump(&self, source: &mut dyn Read) -> io::Result<Pumped> {
        loop {
            let mut chunk = match self.empty.try_recv() {
                Ok(chunk) => chunk,
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => Chunk {
                    buf: vec![0; CHUNK_SIZE].into_boxed_slice(),
                    len: 0,
                },
            };
            let at_eof = fill(source, &mut chunk)?;
            if chunk.len > 0 && self.full.send(chunk).is_err() {
                return Ok(Pumped::ReaderGone);
            }
            if at_eof {
                return Ok(Pumped::SourceDrained);
            }
        }
    }
}

/// Fills `chunk` from `source`; returns true when `source` reached end of file.
fn fill(source: &mut dyn Read, chunk: &mut Chunk) -> io::Result<bool> {
    chunk.len = 0;
    while chunk.len < chunk.buf.len() {
        match source.read(&mut chunk.buf[chunk.len..]) {
            Ok(0) => return Ok(true),
            Ok(n) => chunk.len += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(false)
}

/// The extracting thread's end: a `Read` over the chunks that hashes everything it receives.
pub(crate) struct ChunkReader {
    full: Receiver<Chunk>,
    empty: Sender<Chunk>,
    current: Option<Chunk>,
    pos: usize,
    digest: Option<StreamDigest>,
    reached_end: bool,
}

impl ChunkReader {
    /// Whether a read has already returned end of stream.
    pub(crate) fn reached_end(&self) -> bool {
        self.reached_end
    }

    /// Consumes the rest of the stream and returns the digest and length of all of it, if the
    /// pipe was made to hash.
    pub(crate) fn finish(mut self) -> Option<(String, u64)> {
        while self.next_chunk() {}
        self.digest.map(StreamDigest::finish)
    }

    /// Recycles the current chunk and waits for the next one; false at end of stream.
    fn next_chunk(&mut self) -> bool {
        if let Some(done) = self.current.take() {
            // The sender may have finished already; then the buffer is simply freed.
            let _ = self.empty.send(done);
        }
        match self.full.recv() {
            Ok(chunk) => {
                if let Some(digest) = &mut self.digest {
                    digest.update(&chunk.buf[..chunk.len]);
                }
                self.current = Some(chunk);
                self.pos = 0;
                true
            }
            Err(mpsc::RecvError) => {
                self.reached_end = true;
                false
            }
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if let Some(chunk) = &self.current {
                let available = &chunk.buf[self.pos..chunk.len];
                if !available.is_empty() {
                    let n = available.len().min(buf.len());
                    buf[..n].copy_from_slice(&available[..n]);
                    self.pos += n;
                    return Ok(n);
                }
            }
            if !self.next_chunk() {
                return Ok(0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipe_delivers_all_bytes_in_order_and_hashes_them() {
        let data: Vec<u8> = (0..3 * CHUNK_SIZE + 12345)
            .map(|i| (i % 251) as u8)
            .collect();
        let (sender, mut reader) = pipe(true);
        let received = std::thread::scope(|s| {
            let consumer = s.spawn(move || {
                let mut received = Vec::new();
                reader.read_to_end(&mut received).unwrap();
                assert!(reader.reached_end());
                (received, reader.finish())
            });
            assert_eq!(sender.pump(&mut &data[..]).unwrap(), Pumped::SourceDrained);
            drop(sender);
            consumer.join().unwrap()
        });
        assert_eq!(received.0, data);
        let mut expected = StreamDigest::default();
        expected.update(&data);
        assert_eq!(received.1, Some(expected.finish()));
    }

    #[test]
    fn pump_stops_when_the_reader_is_gone() {
        let (sender, reader) = pipe(false);
        drop(reader);
        let data = vec![7u8; 2 * CHUNK_SIZE];
        assert_eq!(sender.pump(&mut &data[..]).unwrap(), Pumped::ReaderGone);
    }
}
