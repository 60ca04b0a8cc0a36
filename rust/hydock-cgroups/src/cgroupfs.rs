//! Reads, writes and parses cgroup control files, naming the file (and value) in every failure.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum FsError {
    #[error("cannot write {value:?} to {path}: {source}")]
    Write {
        path: PathBuf,
        value: String,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cgroup controller {controller} is not available in {cgroup}: cannot use {file}")]
    ControllerUnavailable {
        controller: String,
        file: String,
        cgroup: PathBuf,
    },
    #[error("unexpected content in {path}: {content:?}")]
    Parse { path: PathBuf, content: String },
    #[error("{path} has no {key:?} entry")]
    MissingKey { path: PathBuf, key: String },
}

/// A control file that belongs to one controller, so that its absence can be reported as the
/// controller being unavailable rather than as a bare ENOENT.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ControlFile {
    pub controller: &'static str,
    pub name: &'static str,
}

impl ControlFile {
    pub const fn new(controller: &'static str, name: &'static str) -> Self {
        ControlFile { controller, name }
    }

    fn unavailable(self, dir: &Path) -> FsError {
        FsError::ControllerUnavailable {
            controller: self.controller.to_string(),
            file: self.name.to_string(),
            cgroup: dir.to_path_buf(),
        }
    }

    pub fn exists_in(self, dir: &Path) -> bool {
        dir.join(self.name).exists()
    }

    pub fn write(self, dir: &Path, value: &str) -> Result<(), FsError> {
        match write(&dir.join(self.name), value) {
            Err(FsError::Write { source, .. }) if source.kind() == ErrorKind::NotFound => {
                Err(self.unavailable(dir))
            }
            other => other,
        }
    }

    pub fn read(self, dir: &Path) -> Result<String, FsError> {
        self.read_optional(dir)?
            .ok_or_else(|| self.unavailable(dir))
    }

    /// `None` when the file does not exist (an older kernel, a controller not enabled).
    pub fn read_optional(self, dir: &Path) -> Result<Option<String>, FsError> {
        read_optional(&dir.join(self.name))
    }

    pub fn read_u64(self, dir: &Path) -> Result<u64, FsError> {
        parse_u64(&dir.join(self.name), &self.read(dir)?)
    }

    /// A limit file where `max` means unlimited.
    pub fn read_max(self, dir: &Path) -> Result<Option<u64>, FsError> {
        let content = self.read(dir)?;
        match content.trim() {
            "max" => Ok(None),
            _ => parse_u64(&dir.join(self.name), &content).map(Some),
        }
    }

    pub fn read_keyed(self, dir: &Path) -> Result<Keyed, FsError> {
        Keyed::parse(dir.join(self.name), &self.read(dir)?)
    }
}

/// cgroupfs takes each write(2) as one command, so the value goes out in a single call.
pub(crate) fn write(path: &Path, value: &str) -> Result<(), FsError> {
    let failed = |source| FsError::Write {
        path: path.to_path_buf(),
        value: value.to_string(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(failed)?;
    file.write_all(value.as_bytes()).map_err(failed)
}

pub(crate) fn read(path: &Path) -> Result<String, FsError> {
    std::fs::read_to_string(path).map_err(|source| FsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

pub(crate) fn read_optional(path: &Path) -> Result<Option<String>, FsError> {
    match std::fs::read_to_string(path) {
        Ok(content) => Ok(Some(content)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FsError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

pub(crate) fn parse_u64(path: &Path, content: &str) -> Result<u64, FsError> {
    content.trim().parse().map_err(|_| FsError::Parse {
        path: path.to_path_buf(),
        content: content.to_string(),
    })
}

/// A flat keyed file (`key value` per line): memory.stat, cpu.stat, memory.events, oom_control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Keyed {
    path: PathBuf,
    entries: Vec<(String, u64)>,
}

impl Keyed {
    pub fn parse(path: PathBuf, content: &str) -> Result<Keyed, FsError> {
        let entries = content
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let mut words = line.split_whitespace();
                let key = words.next().unwrap_or_default();
                match (words.next().map(str::parse::<u64>), words.next()) {
                    (Some(Ok(value)), None) => Ok((key.to_string(), value)),
                    _ => Err(FsError::Parse {
                        path: path.clone(),
                        content: line.to_string(),
                    }),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Keyed { path, entries })
    }

    pub fn get(&self, key: &str) -> Option<u64> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub fn require(&self, key: &str) -> Result<u64, FsError> {
        self.get(key).ok_or_else(|| FsError::MissingKey {
            path: self.path.clone(),
            key: key.to_string(),
        })
    }

    pub fn into_entries(self) -> Vec<(String, u64)> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_files_parse_and_report_missing_keys() {
        let keyed = Keyed::parse("cpu.stat".into(), "usage_usec 10\nnr_periods 3\n\n").unwrap();
        assert_eq!(keyed.get("usage_usec"), Some(10));
        assert_eq!(keyed.require("nr_periods").unwrap(), 3);
        let missing = keyed.require("throttled_usec").unwrap_err().to_string();
        assert!(
            missing.contains("cpu.stat") && missing.contains("throttled_usec"),
            "{missing}"
        );
        assert!(Keyed::parse("x".into(), "key notanumber\n").is_err());
        assert!(Keyed::parse("x".into(), "key 1 2\n").is_err());
    }

    #[test]
    fn missing_controller_file_names_controller_and_file() {
        let dir = std::env::temp_dir();
        let err = ControlFile::new("memory", "memory.max")
            .write(&dir, "1")
            .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, FsError::ControllerUnavailable { .. }));
        assert!(
            message.contains("memory") && message.contains("memory.max"),
            "{message}"
        );
    }

    #[test]
    fn failed_write_names_file_and_value() {
        let err = write(Path::new("/proc/version"), "42")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/proc/version") && err.contains("\"42\""),
            "{err}"
        );
    }
}
