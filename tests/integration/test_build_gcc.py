"""A real multi-stage build: a C program compiled with gcc in a Debian stage (packages from Debian's mirror), the
binary copied into a busybox stage that runs it."""

from __future__ import annotations

from pathlib import Path

from hydock import Engine
from tests.debian_image import debian_tar
from tests.integration.build_support import build, run

HELLO_C = """\
#include <stdio.h>
int main(int argc, char **argv) {
    printf("hello from C, %d args\\n", argc - 1);
    return 0;
}
"""

DOCKERFILE = """\
FROM debian:bookworm AS compile
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev
WORKDIR /src
COPY hello.c .
RUN gcc -static -O2 -o /hello hello.c

FROM busybox
COPY --from=compile /hello /usr/local/bin/hello
ENTRYPOINT ["/usr/local/bin/hello"]
CMD ["one", "two"]
"""


def test_gcc_in_debian_then_busybox(engine: Engine, image: str, tmp_path: Path) -> None:
    engine.images.import_image(debian_tar(), "debian:bookworm")
    context = tmp_path / "context"
    context.mkdir()
    (context / "hello.c").write_text(HELLO_C)
    built = build(engine, context, DOCKERFILE, tags=["hello:1"])
    assert "Setting up gcc" in built.output
    assert engine.containers.run("hello:1", remove=True) == b"hello from C, 2 args\n"
    assert run(engine, "hello:1", "/usr/local/bin/hello a") == "hello from C, 1 args\n"
    config = engine.image_service.config(built.image_id)
    assert len(config.rootfs.diff_ids) == 2, "busybox and the binary: nothing of the Debian stage"

    (context / "hello.c").write_text(HELLO_C.replace("hello from C", "hi from C"))
    rebuilt = build(engine, context, DOCKERFILE, tags=["hello:1"])
    assert rebuilt.cached_steps() == [2, 3], "apt-get is not run again; the compile and the copy are"
    assert engine.containers.run("hello:1", remove=True) == b"hi from C, 2 args\n"
