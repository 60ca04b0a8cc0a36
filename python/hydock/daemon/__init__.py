"""hydockd: serves the Docker Engine API over a unix socket, translating HTTP to engine calls."""
