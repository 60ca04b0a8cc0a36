"""Client side of the Docker Engine API: a lean HTTP/1.1 transport to hydockd (or dockerd) and its stream formats."""
