//! Validated cgroup names: relative paths below each hierarchy's root.

use std::path::{Component, Path, PathBuf};

use crate::error::CgroupError;

/// A name such as `hydock/<id>`: relative, with no `.`, `..` or empty components.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CgroupName(String);

impl CgroupName {
    pub fn parse(name: &str) -> Result<CgroupName, CgroupError> {
        let reject = |reason: &'static str| CgroupError::InvalidName {
            name: name.to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(reject("it is empty"));
        }
        if name.starts_with('/') {
            return Err(reject("it is absolute"));
        }
        if name.contains('\0') {
            return Err(reject("it contains a NUL byte"));
        }
        if name
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        {
            return Err(reject("it has an empty, `.` or `..` component"));
        }
        Ok(CgroupName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This cgroup's directory in the hierarchy mounted at `root`.
    pub fn dir_in(&self, root: &Path) -> PathBuf {
        root.join(&self.0)
    }

    /// Each level's directory below `root`, outermost first, ending with the cgroup itself.
    pub fn levels_in(&self, root: &Path) -> Vec<PathBuf> {
        let mut dir = root.to_path_buf();
        Path::new(&self.0)
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part),
                _ => None,
            })
            .map(|part| {
                dir.push(part);
                dir.clone()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_relative_names_and_lists_levels() {
        let name = CgroupName::parse("hydock/abc").unwrap();
        assert_eq!(
            name.levels_in(Path::new("/sys/fs/cgroup/memory")),
            vec![
                PathBuf::from("/sys/fs/cgroup/memory/hydock"),
                PathBuf::from("/sys/fs/cgroup/memory/hydock/abc")
            ]
        );
        assert_eq!(name.dir_in(Path::new("/r")), PathBuf::from("/r/hydock/abc"));
    }

    #[test]
    fn rejects_escaping_or_odd_names() {
        for bad in [
            "",
            "/hydock/x",
            "hydock/../x",
            "..",
            "hydock//x",
            "hydock/",
            "./x",
            "a\0b",
        ] {
            let err = CgroupName::parse(bad).unwrap_err();
            assert!(
                matches!(err, CgroupError::InvalidName { .. }),
                "{bad:?}: {err}"
            );
        }
    }
}
