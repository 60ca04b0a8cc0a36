//! `spec.process.capabilities`: the bounding set narrowed before the user switch, the other sets
//! applied exactly after it.

use caps::{CapSet, Capability, CapsHashSet};
use oci_spec::runtime::{Capabilities, LinuxCapabilities};

#[derive(Debug, thiserror::Error)]
pub(crate) enum CapsError {
    #[error("unknown capability {name}")]
    Unknown { name: String },
    #[error("drop {cap} from the bounding set: {source}")]
    Bounding {
        cap: Capability,
        source: caps::errors::CapsError,
    },
    #[error("set the {set} set: {source}")]
    Set {
        set: &'static str,
        source: caps::errors::CapsError,
    },
}

/// The five capability sets; a set the spec leaves out is empty.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CapabilityPlan {
    bounding: CapsHashSet,
    effective: CapsHashSet,
    permitted: CapsHashSet,
    inheritable: CapsHashSet,
    ambient: CapsHashSet,
}

impl CapabilityPlan {
    pub(crate) fn from_spec(spec: Option<&LinuxCapabilities>) -> Result<Self, CapsError> {
        let Some(spec) = spec else {
            return Ok(CapabilityPlan::default());
        };
        let convert = |set: &Option<Capabilities>| -> Result<CapsHashSet, CapsError> {
            set.iter()
                .flatten()
                .map(|cap| to_caps_capability(*cap))
                .collect()
        };
        Ok(CapabilityPlan {
            bounding: convert(spec.bounding())?,
            effective: convert(spec.effective())?,
            permitted: convert(spec.permitted())?,
            inheritable: convert(spec.inheritable())?,
            ambient: convert(spec.ambient())?,
        })
    }

    /// Drops every capability the kernel knows that the spec's bounding set does not list.
    /// Runs while still fully privileged: dropping needs CAP_SETPCAP.
    pub(crate) fn limit_bounding_set(&self) -> Result<(), CapsError> {
        for cap in caps::runtime::thread_all_supported() {
            if !self.bounding.contains(&cap) {
                caps::drop(None, CapSet::Bounding, cap)
                    .map_err(|source| CapsError::Bounding { cap, source })?;
            }
        }
        Ok(())
    }

    /// Sets inheritable, effective, permitted and ambient exactly. The order keeps every capset
    /// call valid: effective shrinks before permitted, and ambient needs both permitted and
    /// inheritable in place.
    pub(crate) fn apply_process_sets(&self) -> Result<(), CapsError> {
        let sets = [
            (CapSet::Inheritable, "inheritable", &self.inheritable),
            (CapSet::Effective, "effective", &self.effective),
            (CapSet::Permitted, "permitted", &self.permitted),
            (CapSet::Ambient, "ambient", &self.ambient),
        ];
        for (set, name, value) in sets {
            caps::set(None, set, value).map_err(|source| CapsError::Set { set: name, source })?;
        }
        Ok(())
    }
}

fn to_caps_capability(cap: oci_spec::runtime::Capability) -> Result<Capability, CapsError> {
    let name = format!("CAP_{cap}");
    name.parse().map_err(|_| CapsError::Unknown { name })
}

#[cfg(test)]
mod tests {
    use super::*;
    use oci_spec::runtime::Capability as OciCap;

    #[test]
    fn oci_names_map_to_kernel_capabilities() {
        assert_eq!(
            to_caps_capability(OciCap::NetBindService).unwrap(),
            Capability::CAP_NET_BIND_SERVICE
        );
        assert_eq!(
            to_caps_capability(OciCap::Setfcap).unwrap(),
            Capability::CAP_SETFCAP
        );
        assert_eq!(
            to_caps_capability(OciCap::CheckpointRestore).unwrap(),
            Capability::CAP_CHECKPOINT_RESTORE
        );
        assert_eq!(
            to_caps_capability(OciCap::SysAdmin).unwrap(),
            Capability::CAP_SYS_ADMIN
        );
    }

    #[test]
    fn missing_sets_are_empty() {
        let spec: LinuxCapabilities =
            serde_json::from_str(r#"{"bounding": ["CAP_KILL"]}"#).unwrap();
        let plan = CapabilityPlan::from_spec(Some(&spec)).unwrap();
        assert_eq!(plan.bounding, CapsHashSet::from([Capability::CAP_KILL]));
        assert!(plan.effective.is_empty() && plan.ambient.is_empty());
    }
}
