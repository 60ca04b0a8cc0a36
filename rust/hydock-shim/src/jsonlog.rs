//! Docker's json-file log format: one `{"log":…,"stream":…,"time":…}` object per line of output.

use std::fs::File;
use std::io::{self, Write};

use serde::Serialize;

use crate::timefmt::now_rfc3339_nano;

/// Docker splits lines longer than this into several entries, the last one carrying the newline.
const MAX_ENTRY: usize = 16 * 1024;

#[derive(Serialize)]
struct Entry<'a> {
    log: &'a str,
    stream: &'a str,
    time: &'a str,
}

/// Buffers the unterminated tail of each stream so every entry is a whole line where possible.
pub struct JsonLog {
    file: File,
    pending: [Vec<u8>; 2],
}

#[derive(Clone, Copy)]
pub enum Stream {
    Stdout = 0,
    Stderr = 1,
}

impl Stream {
    fn name(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

impl JsonLog {
    pub fn new(file: File) -> JsonLog {
        JsonLog {
            file,
            pending: [Vec::new(), Vec::new()],
        }
    }

    pub fn write(&mut self, stream: Stream, data: &[u8]) -> io::Result<()> {
        let mut pending = std::mem::take(&mut self.pending[stream as usize]);
        pending.extend_from_slice(data);
        let mut start = 0;
        while let Some(pos) = pending[start..].iter().position(|&b| b == b'\n') {
            let end = start + pos + 1;
            self.entry(stream, &pending[start..end])?;
            start = end;
        }
        while pending.len() - start >= MAX_ENTRY {
            self.entry(stream, &pending[start..start + MAX_ENTRY])?;
            start += MAX_ENTRY;
        }
        pending.drain(..start);
        self.pending[stream as usize] = pending;
        Ok(())
    }

    /// Writes what is left of both streams when the container is gone.
    pub fn flush(&mut self) -> io::Result<()> {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let pending = std::mem::take(&mut self.pending[stream as usize]);
            if !pending.is_empty() {
                self.entry(stream, &pending)?;
            }
        }
        Ok(())
    }

    fn entry(&mut self, stream: Stream, line: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        let time = now_rfc3339_nano();
        let mut buf = serde_json::to_vec(&Entry {
            log: &text,
            stream: stream.name(),
            time: &time,
        })
        .map_err(io::Error::other)?;
        buf.push(b'\n');
        self.file.write_all(&buf)
    }
}
