"""What a stage has built so far: the image config it would have and its layers. Each step makes a new one."""

from __future__ import annotations

import hashlib

import msgspec

from hydock.store.layers import chain_id
from hydock.store.records import Descriptor, History, ImageConfig

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(ImageConfig)


class BuildState(msgspec.Struct, frozen=True):
    config: ImageConfig
    layers: tuple[Descriptor, ...] = ()
    """The layer blobs, bottom first, one per diff id of `config.rootfs`."""

    def config_bytes(self) -> bytes:
        return _encoder.encode(self.config)

    @property
    def image_id(self) -> str:
        """The ID the image would have if the build ended here (Docker prints it after each step)."""
        return "sha256:" + hashlib.sha256(self.config_bytes()).hexdigest()

    def chains(self) -> list[str]:
        """The chain ID of each layer, bottom first."""
        chains, parent = [], ""
        for diff_id in self.config.rootfs.diff_ids:
            parent = chain_id(parent, diff_id)
            chains.append(parent)
        return chains

    @property
    def top_chain(self) -> str:
        chains = self.chains()
        return chains[-1] if chains else ""

    def editable_config(self) -> ImageConfig:
        """A deep copy of the config, for a step to change."""
        return _decoder.decode(self.config_bytes())

    def with_step(
        self, config: ImageConfig, history: History, layer: tuple[str, Descriptor] | None = None
    ) -> BuildState:
        """The state after a step that left `config` (a copy made with `editable_config`), recorded `history` and
        added `layer` ((diff id, blob)) or none; the image is as old as its last step."""
        history.empty_layer = layer is None
        config.created = history.created
        config.history = [*config.history, history]
        layers = self.layers
        if layer is not None:
            diff_id, descriptor = layer
            config.rootfs.diff_ids = [*config.rootfs.diff_ids, diff_id]
            layers = (*layers, descriptor)
        return BuildState(config, layers)
