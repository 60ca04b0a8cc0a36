//! Docker's json-file log format: one `{"log":…,"stream":…,"time":…}` object per line of output.

use std::io;

use serde::Serialize;

use crate::logfile::LogFile;
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
    file: LogFile,
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
    pub fn new(file: LogFile) -> JsonLog {
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
        self.file.write_entry(&buf)
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::{JsonLog, Stream};
    use crate::logfile::{LogFile, Rotation};

    #[test]
    fn rotated_files_hold_whole_json_lines_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        let rotation = Rotation {
            max_size: 1000,
            max_files: 100,
        };
        let mut log = JsonLog::new(LogFile::open(&path, Some(rotation)).unwrap());
        let text: String = (0..200).map(|n| format!("line {n} \"quoted\"\n")).collect();
        // Arbitrary chunk boundaries, as pipe reads give them.
        for chunk in text.as_bytes().chunks(37) {
            log.write(Stream::Stdout, chunk).unwrap();
        }
        log.flush().unwrap();
        let count = fs::read_dir(dir.path()).unwrap().count();
        assert!(count > 5, "expected several rotations, got {count} files");
        let mut logged = String::new();
        for n in (0..count).rev() {
            let file = if n == 0 {
                path.clone()
            } else {
                path.with_file_name(format!("c-json.log.{n}"))
            };
            let content = fs::read_to_string(&file).unwrap();
            assert!(content.len() <= 1000);
            for line in content.lines() {
                let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                assert_eq!(entry["stream"], "stdout");
                logged.push_str(entry["log"].as_str().unwrap());
            }
        }
        assert_eq!(logged, text);
    }
}
