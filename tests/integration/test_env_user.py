"""Environment, working directory and user, from the image and from run options."""

from __future__ import annotations

from pathlib import Path

from hydock import Engine


def output(engine: Engine, image: str, script: str, **kwargs) -> str:
    return engine.containers.run(image, ["sh", "-c", script], remove=True, **kwargs).decode()


def test_image_env_cmd_workdir_user(engine: Engine, busybox_tar: Path) -> None:
    engine.images.import_image(
        busybox_tar,
        "configured:1",
        changes=[
            "ENV GREETING=hello",
            "WORKDIR /srv/app",
            "USER app",
            'CMD ["sh", "-c", "echo $GREETING $(pwd) $(id -u)"]',
        ],
    )
    assert engine.containers.run("configured:1", remove=True) == b"hello /srv/app 1000\n"


def test_run_env_overrides_image_env(engine: Engine, busybox_tar: Path, tmp_path: Path) -> None:
    engine.images.import_image(busybox_tar, "envimg", changes=["ENV A=image B=image"])
    out = output(engine, "envimg", "echo $A $B $C $HOSTNAME", environment={"A": "run", "C": "c"}, hostname="hn")
    assert out == "run image c hn\n"
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in output(engine, "envimg", "env")


def test_cli_env_file_and_workdir(cli, image: str, tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("# comment\nFROM_FILE=yes\nOVERRIDE=file\n")
    result = cli("run", "--rm", "--env-file", str(env_file), "-e", "OVERRIDE=flag", "-w", "/made/by/run",
                 image, "sh", "-c", "echo $FROM_FILE $OVERRIDE $(pwd)")  # fmt: skip
    assert result.stdout == b"yes flag /made/by/run\n", result.stderr


def test_user_by_name_resolves_groups(engine: Engine, image: str) -> None:
    assert output(engine, image, "id", user="app") == "uid=1000(app) gid=1000(app) groups=10(wheel),50(staff)\n"


def test_user_and_group_numeric_and_named(engine: Engine, image: str) -> None:
    assert output(engine, image, "id -u; id -g", user="1000:50") == "1000\n50\n"
    assert output(engine, image, "id -u; id -g", user="nobody:staff") == "65534\n50\n"
    assert output(engine, image, "id -u; id -g", user="4242") == "4242\n0\n"


def test_unknown_user_is_a_clear_error(cli, image: str) -> None:
    result = cli("run", "--rm", "-u", "ghost", image, "true")
    assert result.returncode == 125
    assert b"unable to find user ghost" in result.stderr


def test_entrypoint_override(engine: Engine, image: str) -> None:
    assert engine.containers.run(image, ["a", "b"], entrypoint="echo", remove=True) == b"a b\n"
