# Where hydock lives: its own virtual environment, as pipx would make it. Its dependencies stay apart from the
# system's, and its commands start without running the hooks (.pth files) other packages put in the system
# interpreter's site-packages: on this machine kind one of those costs each `hydock` command 35 ms.
HYDOCK_VENV="${HYDOCK_VENV:-/opt/hydock}"
