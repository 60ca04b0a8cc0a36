"""The client's registry credentials in Docker's config.json ($DOCKER_CONFIG/config.json, else
~/.docker/config.json): `auths` entries, and the credsStore/credHelpers executables
(docker-credential-NAME get|store|erase) when configured."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import msgspec

from hydock.errors import HydockError
from hydock.registry.auth import AuthConfig, encode_registry_auth, encode_registry_config
from hydock.store.atomic import write_atomic
from hydock.store.reference import DEFAULT_DOMAIN, parse_reference

# The key Docker files Docker Hub's credentials under.
HUB_SERVER = "https://index.docker.io/v1/"


class CredentialsError(HydockError):
    pass


class _HelperAnswer(msgspec.Struct, rename="pascal"):
    server_u_r_l: str = msgspec.field(default="", name="ServerURL")
    username: str = ""
    secret: str = ""


def config_path() -> Path:
    directory = os.environ.get("DOCKER_CONFIG") or os.path.join(os.path.expanduser("~"), ".docker")
    return Path(directory) / "config.json"


def registry_domain(server: str) -> str:
    """The registry a login server address names: `localhost:5000`, `https://index.docker.io/v1/` (Docker Hub),
    or nothing (Docker Hub too)."""
    if not server:
        return DEFAULT_DOMAIN
    host = server.removeprefix("https://").removeprefix("http://").split("/", 1)[0]
    return parse_reference(f"{host}/probe").domain


def server_key(domain: str) -> str:
    """Where config.json files a registry: Docker Hub under its legacy URL, others under host[:port]."""
    return HUB_SERVER if domain == DEFAULT_DOMAIN else domain


def _load() -> dict:
    try:
        data = msgspec.json.decode(config_path().read_bytes())
    except FileNotFoundError:
        return {}
    except msgspec.DecodeError as exc:
        raise CredentialsError(f"{config_path()}: not valid JSON: {exc}") from None
    return data if isinstance(data, dict) else {}


def _save(config: dict) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    write_atomic(path, msgspec.json.format(msgspec.json.encode(config), indent=1), mode=0o600)


def _helper(config: dict, key: str) -> str | None:
    return (config.get("credHelpers") or {}).get(key) or config.get("credsStore") or None


def _run_helper(helper: str, action: str, data: bytes) -> bytes:
    import subprocess

    program = f"docker-credential-{helper}"
    try:
        done = subprocess.run([program, action], input=data, capture_output=True, timeout=60)
    except FileNotFoundError:
        raise CredentialsError(
            f'error getting credentials - err: exec: "{program}": executable file not found in $PATH'
        ) from None
    if done.returncode != 0:
        message = (done.stdout or done.stderr).decode().strip()
        if action == "get" and "credentials not found" in message:
            return b""
        raise CredentialsError(f"{program} {action}: {message}")
    return done.stdout


def lookup(domain: str) -> AuthConfig:
    """The stored credentials for `domain`; empty (anonymous) when there are none."""
    config = _load()
    key = server_key(domain)
    helper = _helper(config, key)
    if helper is not None:
        answer_bytes = _run_helper(helper, "get", key.encode())
        if not answer_bytes:
            return AuthConfig(serveraddress=key)
        answer = msgspec.json.decode(answer_bytes, type=_HelperAnswer)
        if answer.username == "<token>":
            return AuthConfig(identitytoken=answer.secret, serveraddress=key)
        return AuthConfig(username=answer.username, password=answer.secret, serveraddress=key)
    auths = config.get("auths") or {}
    entry = next((auths[k] for k in (key, f"https://{key}", f"http://{key}") if k in auths), None)
    if not entry:
        return AuthConfig(serveraddress=key)
    user, password = "", ""
    if entry.get("auth"):
        user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
    return AuthConfig(username=user, password=password, identitytoken=entry.get("identitytoken", ""), serveraddress=key)


def registry_auth_header(domain: str) -> str:
    """The X-Registry-Auth value a client sends for `domain`: its stored credentials, or anonymous."""
    return encode_registry_auth(lookup(domain))


def registry_config_header() -> str:
    """The X-Registry-Config value a build sends (credentials for every registry the client knows, by server
    address: a base image may come from any of them), as the docker CLI sends it."""
    config = _load()
    servers = {*(config.get("auths") or {}), *(config.get("credHelpers") or {})}
    return encode_registry_config({server: lookup(registry_domain(server)) for server in sorted(servers)})


def store(domain: str, username: str, password: str, identity_token: str = "") -> Path:
    """Saves credentials the way `docker login` does (in the credentials helper when one is configured)."""
    config = _load()
    key = server_key(domain)
    helper = _helper(config, key)
    auths = config.setdefault("auths", {})
    if helper is not None:
        secret = identity_token or password
        user = "<token>" if identity_token else username
        _run_helper(helper, "store", msgspec.json.encode({"ServerURL": key, "Username": user, "Secret": secret}))
        auths[key] = {}
    else:
        entry = {"auth": base64.b64encode(f"{username}:{password}".encode()).decode()}
        if identity_token:
            entry["identitytoken"] = identity_token
        auths[key] = entry
    _save(config)
    return config_path()


def erase(domain: str) -> bool:
    """Forgets the credentials for `domain`; False if there were none."""
    config = _load()
    key = server_key(domain)
    auths = config.get("auths") or {}
    found = auths.pop(key, None) is not None
    helper = _helper(config, key)
    if helper is not None:
        _run_helper(helper, "erase", key.encode())
        found = True
    if found:
        _save(config)
    return found
