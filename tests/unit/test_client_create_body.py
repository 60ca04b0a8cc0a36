"""hydock.Client sends every run option in its create body: what hydockd reads back from it is what was asked."""

from __future__ import annotations

import msgspec

from hydock.api_network import EndpointSettings, PortBinding
from hydock.api_storage import MountSpec
from hydock.api_types import CreateBody, LogConfig
from hydock.client.models import create_body
from hydock.daemon.routes_containers import _run_options
from hydock.engine.records import Interactive, RunOptions
from hydock.models.run_arguments import run_options
from hydock.store.records import HealthConfig


def _every_option_set() -> RunOptions:
    """A value unlike the default for every field, so a field the body drops shows up as a difference."""
    options = RunOptions(
        name="web",
        env=["A=1"],
        workdir="/srv",
        user="nobody",
        hostname="box",
        entrypoint=["/bin/sh", "-c"],
        labels={"tier": "front"},
        memory=64 << 20,
        nano_cpus=500_000_000,
        cpu_shares=512,
        pids_limit=64,
        read_only=True,
        network="front",
        networks={"front": EndpointSettings(aliases=["www"], links=["db:database"])},
        port_bindings={"80/tcp": [PortBinding(host_ip="127.0.0.1", host_port="8080")]},
        publish_all=True,
        exposed_ports={"81/udp": {}},
        dns=["192.0.2.53"],
        dns_search=["example.org"],
        dns_options=["ndots:2"],
        extra_hosts=["gw:192.0.2.1"],
        links=["db:database"],
        init=True,
        privileged=True,
        cap_add=["NET_ADMIN"],
        cap_drop=["CHOWN"],
        no_new_privileges=True,
        auto_remove=True,
        restart="on-failure:3",
        log_config=LogConfig("json-file", {"max-size": "1m"}),
        binds=["/srv:/data:ro"],
        mounts=[MountSpec(type="tmpfs", target="/cache")],
        tmpfs={"/run": "size=1m"},
        volumes_from=["other:ro"],
        volumes=["/var/lib/app"],
        interactive=Interactive(tty=True, open_stdin=True, stdin_once=True, attach_stdin=True),
        healthcheck=HealthConfig(test=["CMD", "true"], interval=1_000_000_000, retries=2),
        shell=["/bin/bash", "-c"],
    )
    unset = [name for name in RunOptions.__struct_fields__ if getattr(options, name) == getattr(RunOptions(), name)]
    assert unset == [], f"give these a value in the test: {unset}"
    return options


def test_the_body_carries_every_run_option() -> None:
    options = _every_option_set()
    body = msgspec.json.decode(msgspec.json.encode(create_body("img", ["true"], options)), type=CreateBody)
    assert _run_options(body, "web") == options


def test_docker_py_keywords_reach_the_body() -> None:
    options = run_options(
        {
            "ports": {"80/tcp": 8080},
            "dns": ["192.0.2.53"],
            "links": {"db": "database"},
            "restart_policy": {"Name": "always"},
        }
    )
    body = create_body("img", None, options)
    assert body.host_config is not None
    assert body.host_config.port_bindings == {"80/tcp": [PortBinding(host_ip="", host_port="8080")]}
    assert body.host_config.dns == ["192.0.2.53"]
    assert body.host_config.links == ["db:database"]
    assert body.host_config.restart_policy is not None and body.host_config.restart_policy.name == "always"
    # Not detached, docker-py attaches the output streams; detached, it does not.
    assert (body.attach_stdout, body.attach_stderr) == (True, True)
    detached = create_body("img", None, run_options({}, detach=True))
    assert (detached.attach_stdout, detached.attach_stderr) == (False, False)
