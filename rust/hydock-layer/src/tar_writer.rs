//! Writes a tar archive: ustar headers, PAX extended headers for what ustar cannot hold (long
//! names, big ids or sizes, xattrs), file data and the end-of-archive marker.

use std::io::{self, Read, Write};
use tar::{EntryType, Header};

const BLOCK: usize = 512;
const COPY_BUFFER_SIZE: usize = 1 << 20;
/// Largest values the ustar octal fields hold.
const MAX_OCTAL_7: u64 = 0o7777777;
const MAX_OCTAL_11: u64 = 0o77777777777;
const PAX_XATTR_PREFIX: &str = "SCHILY.xattr.";

/// Everything a header says about one entry.
pub(crate) struct EntrySpec {
    /// The archive name; directories end in `/`.
    pub(crate) name: Vec<u8>,
    pub(crate) kind: EntryType,
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) mtime: i64,
    /// Data bytes that follow the header (regular files only).
    pub(crate) size: u64,
    /// Symlink target or hardlink source.
    pub(crate) link_name: Vec<u8>,
    pub(crate) device: (u32, u32),
    pub(crate) xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum AppendError {
    #[error("reading entry data: {0}")]
    Read(io::Error),
    #[error("writing archive: {0}")]
    Write(io::Error),
    #[error("encoding header: {0}")]
    Header(io::Error),
}

pub(crate) struct TarWriter<W: Write> {
    out: W,
    buffer: Vec<u8>,
}

impl<W: Write> TarWriter<W> {
    pub(crate) fn new(out: W) -> Self {
        TarWriter {
            out,
            buffer: vec![0; COPY_BUFFER_SIZE],
        }
    }

    /// Appends one entry; `data` must yield at least `spec.size` bytes, of which exactly that
    /// many are archived.
    pub(crate) fn append(
        &mut self,
        spec: &EntrySpec,
        data: &mut dyn Read,
    ) -> Result<(), AppendError> {
        let (header, pax) = ustar_header(spec).map_err(AppendError::Header)?;
        if !pax.is_empty() {
            let pax_header = pax_header(&spec.name, pax.len() as u64);
            self.out
                .write_all(pax_header.as_bytes())
                .map_err(AppendError::Write)?;
            self.out.write_all(&pax).map_err(AppendError::Write)?;
            self.pad(pax.len() as u64)?;
        }
        self.out
            .write_all(header.as_bytes())
            .map_err(AppendError::Write)?;
        self.copy_data(data, spec.size)?;
        self.pad(spec.size)
    }

    /// Writes the end-of-archive marker and returns the output.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.out.write_all(&[0; 2 * BLOCK])?;
        Ok(self.out)
    }

    fn copy_data(&mut self, data: &mut dyn Read, size: u64) -> Result<(), AppendError> {
        let mut remaining = size;
        while remaining > 0 {
            let want = self
                .buffer
                .len()
                .min(usize::try_from(remaining).unwrap_or(usize::MAX));
            let n = match data.read(&mut self.buffer[..want]) {
                Ok(0) => {
                    return Err(AppendError::Read(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("file shrank while archiving, {remaining} of {size} bytes missing"),
                    )))
                }
                Ok(n) => n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(AppendError::Read(err)),
            };
            self.out
                .write_all(&self.buffer[..n])
                .map_err(AppendError::Write)?;
            remaining -= n as u64;
        }
        Ok(())
    }

    fn pad(&mut self, len: u64) -> Result<(), AppendError> {
        let tail = (len % BLOCK as u64) as usize;
        if tail > 0 {
            self.out
                .write_all(&[0; BLOCK][tail..])
                .map_err(AppendError::Write)?;
        }
        Ok(())
    }
}

/// The ustar header for `spec` and the PAX records for whatever does not fit in it.
fn ustar_header(spec: &EntrySpec) -> io::Result<(Header, Vec<u8>)> {
    let mut pax = Vec::new();
    let mut header = Header::new_ustar();
    header.set_entry_type(spec.kind);
    header.set_mode(spec.mode & 0o7777);
    if !set_ustar_name(&mut header, &spec.name) {
        pax_record(&mut pax, "path", &spec.name);
    }
    if let Some(ustar) = header.as_ustar_mut() {
        if spec.link_name.len() <= ustar.linkname.len() {
            ustar.linkname[..spec.link_name.len()].copy_from_slice(&spec.link_name);
        } else {
            pax_record(&mut pax, "linkpath", &spec.link_name);
        }
    }
    header.set_size(octal_or_pax(&mut pax, "size", spec.size, MAX_OCTAL_11));
    header.set_uid(octal_or_pax(&mut pax, "uid", spec.uid, MAX_OCTAL_7));
    header.set_gid(octal_or_pax(&mut pax, "gid", spec.gid, MAX_OCTAL_7));
    match u64::try_from(spec.mtime) {
        Ok(mtime) => header.set_mtime(octal_or_pax(&mut pax, "mtime", mtime, MAX_OCTAL_11)),
        Err(_) => {
            pax_record(&mut pax, "mtime", spec.mtime.to_string().as_bytes());
            header.set_mtime(0);
        }
    }
    // Written for every entry, zero for non-devices, since some readers reject empty fields.
    header.set_device_major(spec.device.0)?;
    header.set_device_minor(spec.device.1)?;
    for (name, value) in &spec.xattrs {
        let key = [PAX_XATTR_PREFIX.as_bytes(), name].concat();
        pax_record_bytes(&mut pax, &key, value);
    }
    header.set_cksum();
    Ok((header, pax))
}

/// Puts `value` in the header if it fits, otherwise in a PAX record (and 0 in the header).
fn octal_or_pax(pax: &mut Vec<u8>, key: &str, value: u64, max: u64) -> u64 {
    if value <= max {
        value
    } else {
        pax_record(pax, key, value.to_string().as_bytes());
        0
    }
}

/// Stores `name` in the ustar name field, splitting at a `/` into prefix and name when it is
/// longer than 100 bytes; false when it cannot fit even so.
fn set_ustar_name(header: &mut Header, name: &[u8]) -> bool {
    let Some(ustar) = header.as_ustar_mut() else {
        return false;
    };
    if name.len() <= ustar.name.len() {
        ustar.name[..name.len()].copy_from_slice(name);
        return true;
    }
    let split = name
        .iter()
        .enumerate()
        .filter(|(at, byte)| {
            **byte == b'/' && *at <= ustar.prefix.len() && name.len() - at - 1 <= ustar.name.len()
        })
        .map(|(at, _)| at)
        .next();
    match split {
        Some(at) if at > 0 && at + 1 < name.len() => {
            ustar.prefix[..at].copy_from_slice(&name[..at]);
            ustar.name[..name.len() - at - 1].copy_from_slice(&name[at + 1..]);
            true
        }
        _ => {
            // Readers take the PAX path; the header keeps a recognisable truncation.
            let len = ustar.name.len();
            ustar.name.copy_from_slice(&name[..len]);
            false
        }
    }
}

/// The `x` header announcing `len` bytes of PAX records for the entry `name`.
fn pax_header(name: &[u8], len: u64) -> Header {
    let mut header = Header::new_ustar();
    header.set_entry_type(EntryType::XHeader);
    header.set_mode(0o644);
    header.set_size(len);
    header.set_mtime(0);
    let trimmed = name.strip_suffix(b"/").unwrap_or(name);
    let base = &trimmed[trimmed
        .iter()
        .rposition(|b| *b == b'/')
        .map_or(0, |at| at + 1)..];
    let mut pax_name = b"PaxHeaders.0/".to_vec();
    pax_name.extend_from_slice(base);
    pax_name.truncate(100);
    if let Some(ustar) = header.as_ustar_mut() {
        ustar.name[..pax_name.len()].copy_from_slice(&pax_name);
    }
    header.set_cksum();
    header
}

fn pax_record(pax: &mut Vec<u8>, key: &str, value: &[u8]) {
    pax_record_bytes(pax, key.as_bytes(), value);
}

/// Appends `"<len> <key>=<value>\n"`, where `len` counts the whole record including itself.
fn pax_record_bytes(pax: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    pax.extend_from_slice(len.to_string().as_bytes());
    pax.push(b' ');
    pax.extend_from_slice(key);
    pax.push(b'=');
    pax.extend_from_slice(value);
    pax.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        let mut pax = Vec::new();
        pax_record(&mut pax, "path", b"x");
        assert_eq!(pax, b"9 path=x\n");
        let mut long = Vec::new();
        pax_record(&mut long, "path", &[b'a'; 93]);
        // 4 + 93 + 3 = 100 bytes without the length, which then needs three digits.
        assert!(long.starts_with(b"103 path="));
        assert_eq!(long.len(), 103);
    }

    #[test]
    fn long_names_split_into_prefix_or_fall_back_to_pax() {
        let mut header = Header::new_ustar();
        let name = [vec![b'd'; 120], b"/".to_vec(), vec![b'f'; 50]].concat();
        assert!(set_ustar_name(&mut header, &name));
        assert_eq!(&*header.path_bytes(), &name[..]);

        let mut header = Header::new_ustar();
        assert!(!set_ustar_name(&mut header, &[b'x'; 300]));
    }
}
