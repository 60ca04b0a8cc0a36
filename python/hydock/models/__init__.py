"""docker-py shaped models and collections (`containers.run`, `images.pull`...), written once over a backend: the
in-process engine's for `hydock.Engine`, the Engine API's for `hydock.Client`."""
