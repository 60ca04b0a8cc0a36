"""The builder: a Dockerfile and its context to an image, through the engine (containers for RUN, the store for
layers), with a content-addressed step cache and stages built in parallel."""

from hydock.dockerfile.builder.builder import Builder
from hydock.dockerfile.builder.options import BuildOptions

__all__ = ["BuildOptions", "Builder"]
