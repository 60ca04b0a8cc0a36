//! Reads the metadata of a tar entry from its header and PAX records.

use crate::fsmeta::Metadata;
use crate::whiteout;
use rustix::fs::Timespec;
use std::io::{self, Read};

const PAX_XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";

/// Owner, mode, mtime and xattrs of `entry`. The tar crate already folds PAX `uid`, `gid` and
/// `size` into the header; the sub-second PAX `mtime` and the xattrs are read here.
pub(crate) fn entry_metadata<R: Read>(entry: &mut tar::Entry<'_, R>) -> io::Result<Metadata> {
    let header = entry.header();
    let uid = numeric_id(header.uid()?)?;
    let gid = numeric_id(header.gid()?)?;
    let mode = header.mode()?;
    let mut mtime = Timespec {
        tv_sec: i64::try_from(header.mtime()?).map_err(|_| invalid("mtime out of range"))?,
        tv_nsec: 0,
    };
    let mut xattrs = Vec::new();
    if let Some(records) = entry.pax_extensions()? {
        for record in records {
            let record = record?;
            let key = record.key_bytes();
            if key == b"mtime" {
                mtime = parse_pax_time(record.value_bytes())?;
            } else if let Some(name) = key.strip_prefix(PAX_XATTR_PREFIX) {
                if !whiteout::is_overlay_xattr(name) {
                    xattrs.push((name.to_vec(), record.value_bytes().to_vec()));
                }
            }
        }
    }
    Ok(Metadata {
        uid,
        gid,
        mode,
        mtime,
        xattrs,
    })
}

/// Device major and minor numbers (zero when the header has no such fields).
pub(crate) fn device_numbers(header: &tar::Header) -> io::Result<(u32, u32)> {
    Ok((
        header.device_major()?.unwrap_or(0),
        header.device_minor()?.unwrap_or(0),
    ))
}

fn numeric_id(id: u64) -> io::Result<u32> {
    // u32::MAX is -1, which chown reads as "leave unchanged".
    u32::try_from(id)
        .ok()
        .filter(|id| *id != u32::MAX)
        .ok_or_else(|| invalid("uid or gid out of range"))
}

/// Parses a PAX time, `SECONDS[.FRACTION]`, possibly negative.
fn parse_pax_time(value: &[u8]) -> io::Result<Timespec> {
    let text = std::str::from_utf8(value).map_err(|_| invalid("PAX mtime is not text"))?;
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let bad = || invalid("PAX mtime is not a decimal number");
    if whole.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let mut secs: i64 = whole.parse().map_err(|_| bad())?;
    let mut nanos: i64 = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0, |acc, digit| acc * 10 + i64::from(digit - b'0'));
    if negative {
        secs = -secs;
        if nanos > 0 {
            secs -= 1;
            nanos = 1_000_000_000 - nanos;
        }
    }
    Ok(Timespec {
        tv_sec: secs,
        tv_nsec: nanos,
    })
}

fn invalid(what: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(value: &str) -> (i64, i64) {
        let t = parse_pax_time(value.as_bytes()).unwrap();
        (t.tv_sec, t.tv_nsec)
    }

    #[test]
    fn pax_times_parse_with_fractions_and_signs() {
        assert_eq!(time("1700000000"), (1_700_000_000, 0));
        assert_eq!(time("1700000000.5"), (1_700_000_000, 500_000_000));
        assert_eq!(time("12.0000000019"), (12, 1));
        assert_eq!(time("-1.25"), (-2, 750_000_000));
        assert!(parse_pax_time(b"").is_err());
        assert!(parse_pax_time(b"1.2x").is_err());
        assert!(parse_pax_time(b"abc").is_err());
    }

    #[test]
    fn ids_must_fit_a_uid() {
        assert_eq!(numeric_id(1000).unwrap(), 1000);
        assert!(numeric_id(u64::from(u32::MAX)).is_err());
        assert!(numeric_id(1 << 40).is_err());
    }
}
