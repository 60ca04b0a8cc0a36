//! The json-file log on disk, rotated as Docker's json-file driver does with `max-size` and
//! `max-file`: `X-json.log` becomes `X-json.log.1`, `.1` becomes `.2`, and so on, keeping at most
//! max-file files in all; with max-file 1 the log starts again empty instead.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// When to rotate, and how many files to keep, the current one included (at least 1).
#[derive(Clone, Copy, Debug)]
pub struct Rotation {
    pub max_size: u64,
    pub max_files: u64,
}

pub struct LogFile {
    path: PathBuf,
    file: File,
    /// Bytes in `file`, counted as entries are written: a stat per entry would cost as much as
    /// the write itself.
    size: u64,
    rotation: Option<Rotation>,
}

impl LogFile {
    /// Opens `path` for appending (a restarted container keeps its log, and its size counts).
    pub fn open(path: &Path, rotation: Option<Rotation>) -> io::Result<LogFile> {
        let (file, size) = open_append(path)?;
        Ok(LogFile {
            path: path.to_path_buf(),
            file,
            size,
            rotation,
        })
    }

    /// Writes one whole entry, rotating first if it would push the file past max-size. An entry
    /// bigger than max-size on its own still goes in whole, alone in a fresh file: a JSON line
    /// is never split.
    pub fn write_entry(&mut self, entry: &[u8]) -> io::Result<()> {
        if let Some(rotation) = self.rotation {
            if self.size > 0 && self.size + entry.len() as u64 > rotation.max_size {
                self.rotate(rotation.max_files)?;
            }
        }
        match self.file.write_all(entry) {
            Ok(()) => {
                self.size += entry.len() as u64;
                Ok(())
            }
            Err(err) => {
                // After a partial write (a full disk) only the file knows its size.
                self.size = self.file.metadata().map_or(self.size, |m| m.len());
                Err(err)
            }
        }
    }

    /// Moves the current file to `.1` (the others up one, the oldest falling off), or with
    /// max-file 1 drops it, then starts a new file. Readers following the log see a new inode at
    /// the log's path and find the file they were reading under its new name.
    fn rotate(&mut self, max_files: u64) -> io::Result<()> {
        if max_files > 1 {
            // Rotated files are numbered without gaps: counting them spares trying every number
            // up to max-file, which Docker allows to be huge.
            let existing = (1..).take_while(|&n| self.numbered(n).exists()).count() as u64;
            for n in (max_files - 1..=existing).rev() {
                fs::remove_file(self.numbered(n))?;
            }
            // Oldest first, so that no file is renamed onto one not yet moved.
            for n in (1..=existing.min(max_files - 2)).rev() {
                fs::rename(self.numbered(n), self.numbered(n + 1))?;
            }
            fs::rename(&self.path, self.numbered(1))?;
        } else {
            fs::remove_file(&self.path)?;
        }
        (self.file, self.size) = open_append(&self.path)?;
        Ok(())
    }

    fn numbered(&self, n: u64) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(format!(".{n}"));
        PathBuf::from(name)
    }
}

fn open_append(path: &Path) -> io::Result<(File, u64)> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let size = file.metadata()?.len();
    Ok((file, size))
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::{LogFile, Rotation};

    fn entry(n: usize) -> Vec<u8> {
        format!("{{\"log\":\"line {n:04}\\n\"}}\n").into_bytes()
    }

    /// The log's files on disk, oldest first, as (name suffix, content).
    fn files(path: &Path) -> Vec<(String, String)> {
        let name = path.file_name().unwrap().to_str().unwrap();
        let mut found: Vec<(u64, String)> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter_map(|file| {
                let rest = file.strip_prefix(name)?;
                let rank = match rest.strip_prefix('.') {
                    Some(n) => n.parse().ok()?,
                    None if rest.is_empty() => 0,
                    None => return None,
                };
                Some((rank, file))
            })
            .collect();
        found.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
        found
            .into_iter()
            .map(|(_, file)| {
                let content = fs::read_to_string(path.with_file_name(&file)).unwrap();
                (file[name.len()..].to_string(), content)
            })
            .collect()
    }

    fn log_path(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("c-json.log")
    }

    #[test]
    fn rotates_before_a_write_would_pass_max_size_and_keeps_max_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(&dir);
        let size = entry(0).len() as u64;
        let rotation = Rotation {
            max_size: 3 * size + 1,
            max_files: 3,
        };
        let mut log = LogFile::open(&path, Some(rotation)).unwrap();
        for n in 0..20 {
            log.write_entry(&entry(n)).unwrap();
        }
        let files = files(&path);
        let suffixes: Vec<&str> = files.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(suffixes, [".2", ".1", ""]);
        for (_, content) in &files {
            assert!(content.len() as u64 <= rotation.max_size);
            assert!(content.ends_with('\n'));
        }
        let all: String = files.iter().map(|(_, c)| c.as_str()).collect();
        let expected: Vec<u8> = (12..20).flat_map(entry).collect();
        assert_eq!(all.as_bytes(), expected);
    }

    #[test]
    fn max_files_one_starts_the_file_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(&dir);
        let size = entry(0).len() as u64;
        let rotation = Rotation {
            max_size: 2 * size,
            max_files: 1,
        };
        let mut log = LogFile::open(&path, Some(rotation)).unwrap();
        for n in 0..5 {
            log.write_entry(&entry(n)).unwrap();
        }
        let expected = String::from_utf8(entry(4)).unwrap();
        assert_eq!(files(&path), [(String::new(), expected)]);
    }

    #[test]
    fn an_entry_bigger_than_max_size_goes_whole_into_a_file_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(&dir);
        let rotation = Rotation {
            max_size: 10,
            max_files: 5,
        };
        let mut log = LogFile::open(&path, Some(rotation)).unwrap();
        for n in 0..3 {
            log.write_entry(&entry(n)).unwrap();
        }
        let contents: Vec<String> = files(&path).into_iter().map(|(_, c)| c).collect();
        let expected: Vec<String> = (0..3)
            .map(|n| String::from_utf8(entry(n)).unwrap())
            .collect();
        assert_eq!(contents, expected);
    }

    #[test]
    fn without_max_size_the_log_only_grows() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(&dir);
        let mut log = LogFile::open(&path, None).unwrap();
        for n in 0..100 {
            log.write_entry(&entry(n)).unwrap();
        }
        assert_eq!(files(&path).len(), 1);
        assert_eq!(
            fs::read(&path).unwrap(),
            (0..100).flat_map(entry).collect::<Vec<u8>>()
        );
    }

    #[test]
    fn a_reopened_log_counts_what_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(&dir);
        let size = entry(0).len() as u64;
        let rotation = Rotation {
            max_size: 2 * size,
            max_files: 2,
        };
        LogFile::open(&path, Some(rotation))
            .unwrap()
            .write_entry(&entry(0))
            .unwrap();
        let mut restarted = LogFile::open(&path, Some(rotation)).unwrap();
        restarted.write_entry(&entry(1)).unwrap();
        restarted.write_entry(&entry(2)).unwrap();
        let contents: Vec<String> = files(&path).into_iter().map(|(_, c)| c).collect();
        let first_two = [entry(0), entry(1)].concat();
        assert_eq!(
            contents,
            [
                String::from_utf8(first_two).unwrap(),
                String::from_utf8(entry(2)).unwrap()
            ]
        );
    }

    #[test]
    fn a_huge_max_file_costs_only_the_files_that_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = log_path(&dir);
        let rotation = Rotation {
            max_size: 1,
            max_files: i64::MAX as u64,
        };
        let mut log = LogFile::open(&path, Some(rotation)).unwrap();
        for n in 0..4 {
            log.write_entry(&entry(n)).unwrap();
        }
        let suffixes: Vec<String> = files(&path).into_iter().map(|(s, _)| s).collect();
        assert_eq!(suffixes, [".3", ".2", ".1", ""]);
    }
}
