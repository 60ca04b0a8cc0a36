//! The error `spawn` returns, and its encoding on the pipe from the container's child to the parent.

/// What kind of failure stopped the container's process from starting; the caller maps it to
/// Docker's exit codes (127 not found, 126 cannot run).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnErrorKind {
    NotFound,
    PermissionDenied,
    Other,
}

/// A failed start: `step` names the setup step ("namespaces", "mounts", "exec", ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {message}")]
pub struct SpawnError {
    pub step: String,
    pub message: String,
    pub kind: SpawnErrorKind,
}

impl SpawnError {
    pub(crate) fn other(step: &str, message: impl std::fmt::Display) -> Self {
        SpawnError {
            step: step.to_string(),
            message: message.to_string(),
            kind: SpawnErrorKind::Other,
        }
    }

    /// Wire format: kind (1 byte), step length (u32 LE), step, message length (u32 LE), message.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let kind = match self.kind {
            SpawnErrorKind::NotFound => 1u8,
            SpawnErrorKind::PermissionDenied => 2,
            SpawnErrorKind::Other => 0,
        };
        let mut out = Vec::with_capacity(9 + self.step.len() + self.message.len());
        out.push(kind);
        for field in [&self.step, &self.message] {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field.as_bytes());
        }
        out
    }

    /// Decodes what the child wrote; a truncated report still yields an error, never a success.
    pub(crate) fn decode(bytes: &[u8]) -> Self {
        fn field(bytes: &[u8]) -> Option<(String, &[u8])> {
            let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
            let text = bytes.get(4..4 + len)?;
            Some((
                String::from_utf8_lossy(text).into_owned(),
                &bytes[4 + len..],
            ))
        }
        let parsed = bytes.split_first().and_then(|(kind, rest)| {
            let (step, rest) = field(rest)?;
            let (message, _) = field(rest)?;
            let kind = match kind {
                1 => SpawnErrorKind::NotFound,
                2 => SpawnErrorKind::PermissionDenied,
                _ => SpawnErrorKind::Other,
            };
            Some(SpawnError {
                step,
                message,
                kind,
            })
        });
        parsed.unwrap_or_else(|| {
            SpawnError::other(
                "spawn",
                format!(
                    "truncated error report from the container process ({} bytes)",
                    bytes.len()
                ),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_round_trips_through_the_wire_format() {
        let err = SpawnError {
            step: "exec".into(),
            message: "exec: \"foo\": executable file not found in $PATH".into(),
            kind: SpawnErrorKind::NotFound,
        };
        assert_eq!(SpawnError::decode(&err.encode()), err);
        assert_eq!(
            err.to_string(),
            "exec: exec: \"foo\": executable file not found in $PATH"
        );
    }

    #[test]
    fn truncated_report_is_still_an_error() {
        let bytes = SpawnError::other("mounts", "boom").encode();
        let decoded = SpawnError::decode(&bytes[..5]);
        assert_eq!(decoded.step, "spawn");
        assert!(decoded.message.contains("truncated"), "{decoded}");
    }
}
