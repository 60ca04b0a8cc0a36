//! sha256 digests of byte streams as they pass through readers and writers.

use sha2::{Digest, Sha256};
use std::fmt;
use std::io::{self, Read, Write};

/// A running sha256 and byte count, rendered as an OCI digest (`sha256:<hex>`).
#[derive(Default)]
pub(crate) struct StreamDigest {
    hasher: Sha256,
    len: u64,
}

impl StreamDigest {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Returns the digest string and the number of bytes hashed.
    pub(crate) fn finish(self) -> (String, u64) {
        let hash = self.hasher.finalize();
        let mut digest = String::with_capacity("sha256:".len() + 2 * hash.len());
        digest.push_str("sha256:");
        for byte in hash.iter() {
            digest.push(char::from(HEX[usize::from(byte >> 4)]));
            digest.push(char::from(HEX[usize::from(byte & 0xf)]));
        }
        (digest, self.len)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// A failed write to the tee, carried through the decompressors inside an `io::Error` so that
/// the caller can tell it apart from a failed read.
#[derive(Debug)]
pub(crate) struct TeeFailed(pub(crate) io::Error);

impl fmt::Display for TeeFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TeeFailed {}

/// Hashes every byte read from `inner` and copies it to the optional tee.
pub(crate) struct DigestingReader<'t, R> {
    inner: R,
    digest: StreamDigest,
    tee: Option<&'t mut dyn Write>,
}

impl<'t, R: Read> DigestingReader<'t, R> {
    pub(crate) fn new(inner: R, tee: Option<&'t mut dyn Write>) -> Self {
        DigestingReader {
            inner,
            digest: StreamDigest::default(),
            tee,
        }
    }

    /// Flushes the tee and returns the digest of everything read.
    pub(crate) fn finish(self) -> io::Result<(String, u64)> {
        if let Some(tee) = self.tee {
            tee.flush()
                .map_err(|err| io::Error::other(TeeFailed(err)))?;
        }
        Ok(self.digest.finish())
    }
}

impl<R: Read> Read for DigestingReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let bytes = &buf[..n];
        self.digest.update(bytes);
        if let Some(tee) = self.tee.as_mut() {
            tee.write_all(bytes)
                .map_err(|err| io::Error::other(TeeFailed(err)))?;
        }
        Ok(n)
    }
}

/// Hashes every byte written through it to `inner`.
pub(crate) struct DigestingWriter<W> {
    inner: W,
    digest: StreamDigest,
}

impl<W: Write> DigestingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        DigestingWriter {
            inner,
            digest: StreamDigest::default(),
        }
    }

    pub(crate) fn into_parts(self) -> (W, String, u64) {
        let (digest, len) = self.digest.finish();
        (self.inner, digest, len)
    }
}

impl<W: Write> Write for DigestingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.digest.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty_input_is_the_well_known_one() {
        let (digest, len) = StreamDigest::default().finish();
        assert_eq!(
            digest,
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(len, 0);
    }

    #[test]
    fn reader_hashes_and_tees_every_byte() {
        let mut copy = Vec::new();
        let mut reader = DigestingReader::new(&b"abc"[..], Some(&mut copy));
        io::copy(&mut reader, &mut io::sink()).unwrap();
        let (digest, len) = reader.finish().unwrap();
        assert_eq!(
            digest,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(len, 3);
        assert_eq!(copy, b"abc");
    }
}
