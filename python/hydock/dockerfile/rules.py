"""The lint rules hydock checks, named and documented as BuildKit's are, and the finding they produce."""

from __future__ import annotations

import msgspec

_DOCS = "https://docs.docker.com/go/dockerfile/rule/"


class Rule(msgspec.Struct, frozen=True):
    name: str
    description: str
    slug: str

    @property
    def url(self) -> str:
        return _DOCS + self.slug + "/"


class Finding(msgspec.Struct, frozen=True):
    """One warning: `message` is BuildKit's text for it, `line` where it points."""

    rule: str
    message: str
    line: int
    end_line: int = 0


RULES = {
    rule.name: rule
    for rule in (
        Rule("StageNameCasing", "Stage names should be lowercase", "stage-name-casing"),
        Rule("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword", "from-as-casing"),
        Rule(
            "NoEmptyContinuation",
            "Empty continuation lines will become errors in a future release",
            "no-empty-continuation",
        ),
        Rule(
            "ConsistentInstructionCasing",
            "All commands within the Dockerfile should use the same casing (either upper or lower)",
            "consistent-instruction-casing",
        ),
        Rule("ReservedStageName", "Reserved words should not be used as stage names", "reserved-stage-name"),
        Rule(
            "JSONArgsRecommended",
            "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
            "json-args-recommended",
        ),
        Rule(
            "MaintainerDeprecated",
            "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
            "maintainer-deprecated",
        ),
        Rule("UndefinedArgInFrom", "FROM command must use declared ARGs", "undefined-arg-in-from"),
        Rule(
            "WorkdirRelativePath",
            "Relative workdir without an absolute workdir declared within the build can have unexpected results "
            "if the base image changes",
            "workdir-relative-path",
        ),
        Rule("UndefinedVar", "Variables should be defined before their use", "undefined-var"),
        Rule(
            "MultipleInstructionsDisallowed",
            "Multiple instructions of the same type should not be used in the same stage",
            "multiple-instructions-disallowed",
        ),
        Rule(
            "LegacyKeyValueFormat",
            "Legacy key/value format with whitespace separator should not be used",
            "legacy-key-value-format",
        ),
        Rule(
            "RedundantTargetPlatform",
            "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
            "redundant-target-platform",
        ),
        Rule(
            "SecretsUsedInArgOrEnv",
            "Sensitive data should not be used in the ARG or ENV commands",
            "secrets-used-in-arg-or-env",
        ),
        Rule(
            "InvalidDefaultArgInFrom",
            "Default value for global ARG results in an empty or invalid base image name",
            "invalid-default-arg-in-from",
        ),
        Rule(
            "FromPlatformFlagConstDisallowed",
            "FROM --platform flag should not use a constant value",
            "from-platform-flag-const-disallowed",
        ),
        Rule("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase", "expose-proto-casing"),
        Rule(
            "ExposeInvalidFormat",
            "IP address and host-port mapping should not be used in EXPOSE instruction. "
            "This will become an error in a future release",
            "expose-invalid-format",
        ),
    )
}
