//! `apply_layer`: one pass over a layer blob that extracts it and computes its digests;
//! `digest_layer`: the same digests without extracting, to check a blob whose layer is already
//! unpacked.
//!
//! The calling thread reads the input (hashing and teeing the raw bytes) and decompresses it; a
//! second thread hashes the tar stream and writes the files, so the two costs overlap.

use crate::chunks::{self, ChunkSender, Pumped};
use crate::compression::{self, Compression, MAGIC_LEN};
use crate::digest::{DigestingReader, DigestingWriter, TeeFailed};
use crate::error::LayerError;
use crate::extract::extract_stream;
use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{self, Mode, OFlags};
use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::path::Path;
use std::thread;

/// Large reads from the input: few syscalls, and enough data per call for the decompressor.
const INPUT_BUFFER_SIZE: usize = 1 << 20;

/// What `apply_layer` learned about the layer it applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyStats {
    /// `sha256:<hex>` of every byte read from the input: the blob digest.
    pub digest: String,
    /// `sha256:<hex>` of the uncompressed tar stream: the layer's diff id.
    pub diff_id: String,
    /// Bytes read from the input.
    pub compressed_size: u64,
    /// Bytes of the uncompressed tar stream.
    pub size: u64,
    pub compression: Compression,
}

/// Extracts the layer blob read from `input` (plain, gzip or zstd tar, detected from its first
/// bytes) into the existing directory `target`, converting OCI whiteouts into overlayfs ones.
/// Every input byte is hashed and, when `tee` is given, copied to it, including any bytes after
/// the end of the tar archive.
pub fn apply_layer(
    input: impl Read,
    target: &Path,
    tee: Option<&mut dyn Write>,
) -> Result<ApplyStats, LayerError> {
    let root = open_target(target)?;
    let mut raw = DigestingReader::new(input, tee);
    let mut buffered = BufReader::with_capacity(INPUT_BUFFER_SIZE, &mut raw);
    let magic = read_magic(&mut buffered).map_err(input_error)?;
    let compression = Compression::detect(&magic);
    // A plain tar is its own uncompressed stream: its digest is the diff id, no second hash.
    let (sender, stream) = chunks::pipe(compression != Compression::None);
    let (pumped, extracted) = thread::scope(|scope| {
        let extractor = scope.spawn(|| extract_stream(root.as_fd(), stream));
        let pumped = pump_decoded(compression, Cursor::new(magic).chain(buffered), &sender);
        // Closing the pipe is the end-of-stream signal the extractor waits for.
        drop(sender);
        let extracted = extractor
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (pumped, extracted)
    });
    // A read failure explains whatever the extractor then saw (a cut-off stream), so it wins.
    // The extractor stops reading early only with an error, so past this it saw every byte.
    let pumped = pumped?;
    let tar_digest = extracted?;
    debug_assert_eq!(pumped, Pumped::SourceDrained);
    finish(raw, tar_digest, compression)
}

/// Reads the layer blob from `input` to its end, decompressing it as `apply_layer` would, and
/// returns the same digests and sizes without writing anything.
pub fn digest_layer(input: impl Read) -> Result<ApplyStats, LayerError> {
    let mut raw = DigestingReader::new(input, None);
    let mut buffered = BufReader::with_capacity(INPUT_BUFFER_SIZE, &mut raw);
    let magic = read_magic(&mut buffered).map_err(input_error)?;
    let compression = Compression::detect(&magic);
    let mut decoded = compression::decoder(compression, Cursor::new(magic).chain(buffered))
        .map_err(input_error)?;
    // As in `apply_layer`, a plain tar's digest is its diff id: it is hashed once.
    let tar_digest = if compression == Compression::None {
        io::copy(&mut decoded, &mut io::sink()).map_err(input_error)?;
        None
    } else {
        let mut tar = DigestingWriter::new(io::sink());
        io::copy(&mut decoded, &mut tar).map_err(input_error)?;
        let (_, diff_id, size) = tar.into_parts();
        Some((diff_id, size))
    };
    drop(decoded);
    finish(raw, tar_digest, compression)
}

/// Reads the blob to its end (bytes after the compressed stream belong to it too) and puts the
/// stats together; `tar_digest` is None for a plain tar, whose blob digest is its diff id.
fn finish<R: Read>(
    mut raw: DigestingReader<'_, R>,
    tar_digest: Option<(String, u64)>,
    compression: Compression,
) -> Result<ApplyStats, LayerError> {
    io::copy(&mut raw, &mut io::sink()).map_err(input_error)?;
    let (digest, compressed_size) = raw.finish().map_err(input_error)?;
    let (diff_id, size) = tar_digest.unwrap_or_else(|| (digest.clone(), compressed_size));
    Ok(ApplyStats {
        digest,
        diff_id,
        compressed_size,
        size,
        compression,
    })
}

fn open_target(target: &Path) -> Result<OwnedFd, LayerError> {
    fs::open(
        target,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|err| LayerError::Target {
        path: target.to_path_buf(),
        source: err.into(),
    })
}

/// Decompresses `input` into the pipe.
fn pump_decoded(
    compression: Compression,
    input: impl BufRead,
    sender: &ChunkSender,
) -> Result<Pumped, LayerError> {
    let mut decoded = compression::decoder(compression, input).map_err(input_error)?;
    sender.pump(&mut decoded).map_err(input_error)
}

/// Reads up to `MAGIC_LEN` bytes, fewer only at end of input.
fn read_magic(input: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut magic = Vec::with_capacity(MAGIC_LEN);
    input.take(MAGIC_LEN as u64).read_to_end(&mut magic)?;
    Ok(magic)
}

/// Splits input failures into the tee's and the reader's.
fn input_error(err: io::Error) -> LayerError {
    match err.downcast::<TeeFailed>() {
        Ok(TeeFailed(source)) => LayerError::Tee { source },
        Err(source) => LayerError::Read { source },
    }
}
