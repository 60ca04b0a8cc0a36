"""OCI distribution: the client that pulls and pushes images (and, in `server/`, a registry of our own)."""
