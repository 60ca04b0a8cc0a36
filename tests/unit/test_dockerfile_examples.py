"""Whole Dockerfiles in the shapes official images and real projects use: parsed, evaluated and linted."""

from __future__ import annotations

from hydock.dockerfile import evaluate, lint, nodes, parse

GO_SERVICE = """\
# syntax=docker/dockerfile:1

ARG GO_VERSION=1.22
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=bind,source=go.sum,target=go.sum \\
    --mount=type=bind,source=go.mod,target=go.mod \\
    go mod download -x
ARG TARGETOS TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=bind,target=. \\
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /bin/server ./cmd/server

FROM gcr.io/distroless/static-debian12:nonroot AS final
COPY --from=build /bin/server /bin/
EXPOSE 8080
ENTRYPOINT ["/bin/server"]
"""

NODE_APP = """\
FROM node:20-alpine
ENV NODE_ENV=production
WORKDIR /usr/src/app
COPY package*.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --chown=node:node . .
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \\
  CMD wget -qO- http://localhost:3000/healthz || exit 1
CMD ["node", "server.js"]
"""

NGINX_LIKE = """\
FROM debian:bookworm-slim

LABEL maintainer="NGINX Docker Maintainers <docker-maint@nginx.com>"

ENV NGINX_VERSION   1.25.4
ENV NJS_VERSION     0.8.3
ENV PKG_RELEASE     1~bookworm

RUN set -x \\
# create nginx user/group first, to be consistent throughout docker variants
    && groupadd --system --gid 101 nginx \\
    && useradd --system --gid nginx --no-create-home --home /nonexistent --comment "nginx user" --shell /bin/false --uid 101 nginx \\
    && apt-get update \\
    && apt-get install --no-install-recommends --no-install-suggests -y gnupg1 ca-certificates \\
    && rm -rf /var/lib/apt/lists/* \\
# forward request and error logs to docker log collector
    && ln -sf /dev/stdout /var/log/nginx/access.log \\
    && ln -sf /dev/stderr /var/log/nginx/error.log

COPY docker-entrypoint.sh /
COPY 10-listen-on-ipv6-by-default.sh /docker-entrypoint.d

ENTRYPOINT ["/docker-entrypoint.sh"]

EXPOSE 80

STOPSIGNAL SIGQUIT

CMD ["nginx", "-g", "daemon off;"]
"""

POSTGRES_LIKE = """\
FROM debian:bookworm-slim
RUN set -eux; \\
	groupadd -r postgres --gid=999; \\
	useradd -r -g postgres --uid=999 --home-dir=/var/lib/postgresql --shell=/bin/bash postgres; \\
	mkdir -p /var/lib/postgresql; \\
	chown -R postgres:postgres /var/lib/postgresql
ENV LANG en_US.utf8
ENV PG_MAJOR 16
ENV PATH $PATH:/usr/lib/postgresql/$PG_MAJOR/bin
ENV PGDATA /var/lib/postgresql/data
RUN mkdir -p "$PGDATA" && chown -R postgres:postgres "$PGDATA" && chmod 1777 "$PGDATA"
VOLUME /var/lib/postgresql/data
COPY docker-entrypoint.sh docker-ensure-initdb.sh /usr/local/bin/
ENTRYPOINT ["docker-entrypoint.sh"]
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
"""

HEREDOCS = """\
# syntax=docker/dockerfile:1.4
FROM python:3.12-slim
ARG APP_USER=app
RUN <<EOF
set -eux
useradd --create-home ${APP_USER}
pip install --no-cache-dir gunicorn
EOF
COPY <<EOF /etc/app/settings.ini
[server]
user = ${APP_USER}
EOF
COPY <<-'EOT' /usr/local/bin/healthcheck.py
	#!/usr/bin/env python3
	import urllib.request
	urllib.request.urlopen("http://localhost:8000/")
	EOT
RUN <<EOF python3
print("built with $APP_USER")
EOF
USER ${APP_USER}
CMD ["gunicorn", "app:app"]
"""

WINDOWS = """\
# escape=`

FROM mcr.microsoft.com/windows/servercore:ltsc2022
COPY testfile.txt c:\\
RUN dir c:\\ `
    && echo done
SHELL ["powershell", "-Command"]
CMD Write-Host hello
"""


def rule_names(text: str) -> list[str]:
    return [finding.rule for finding in lint(parse(text)).findings]


def test_go_service() -> None:
    assert rule_names(GO_SERVICE) == []
    evaluation = evaluate(parse(GO_SERVICE), build_platform="linux/amd64", target_platform="linux/arm64")
    build, final = evaluation.stages
    assert (build.header.base, build.header.platform) == ("golang:1.22-bookworm", "linux/amd64")
    assert final.stage.header.base == "gcr.io/distroless/static-debian12:nonroot"
    compile_step = build.steps[-1]
    assert "TARGETARCH=arm64" in compile_step.args
    assert isinstance(compile_step.instruction, nodes.Run)
    assert [mount.target for mount in compile_step.instruction.mounts] == ["/go/pkg/mod", "."]


def test_node_app() -> None:
    assert rule_names(NODE_APP) == []
    health = parse(NODE_APP).stages[0].instructions[-2]
    assert isinstance(health, nodes.Healthcheck)
    assert health.test == ("CMD-SHELL", "wget -qO- http://localhost:3000/healthz || exit 1")
    assert (health.line, health.end_line) == (9, 10)


def test_nginx_like() -> None:
    assert rule_names(NGINX_LIKE) == ["LegacyKeyValueFormat"] * 3
    dockerfile = parse(NGINX_LIKE)
    run = dockerfile.stages[0].instructions[4]
    assert isinstance(run, nodes.Run)
    assert (run.line, run.end_line) == (9, 18)
    assert "# forward" not in run.command.args[0]
    assert run.command.args[0].endswith("&& ln -sf /dev/stderr /var/log/nginx/error.log")
    env = evaluate(dockerfile).stages[0].steps[-1].env
    assert "NGINX_VERSION=1.25.4" in env and "PKG_RELEASE=1~bookworm" in env


def test_postgres_like() -> None:
    assert rule_names(POSTGRES_LIKE) == ["LegacyKeyValueFormat"] * 4
    steps = evaluate(parse(POSTGRES_LIKE)).stages[0].steps
    path = next(
        s.instruction for s in steps if isinstance(s.instruction, nodes.Env) and s.instruction.pairs[0].key == "PATH"
    )
    assert isinstance(path, nodes.Env)
    assert path.pairs[0].value.endswith(":/usr/lib/postgresql/16/bin")


def test_heredocs() -> None:
    assert rule_names(HEREDOCS) == []
    steps = evaluate(parse(HEREDOCS), {"APP_USER": "svc"}).stages[0].steps
    setup, settings, healthcheck, python, user, _ = (step.instruction for step in steps[1:])
    assert isinstance(setup, nodes.Run) and setup.heredocs[0].content.startswith(
        "set -eux\nuseradd --create-home ${APP_USER}"
    )
    assert isinstance(settings, nodes.Copy) and settings.inline_sources[0].data == "[server]\nuser = svc\n"
    assert isinstance(healthcheck, nodes.Copy)
    assert healthcheck.inline_sources[0].data.startswith("#!/usr/bin/env python3\nimport urllib.request\n")
    assert isinstance(python, nodes.Run) and python.command.args == ("<<EOF python3",)
    assert isinstance(user, nodes.User) and user.user == "svc"


def test_windows_escape() -> None:
    dockerfile = parse(WINDOWS)
    copy, run, _, cmd = dockerfile.stages[0].instructions
    assert isinstance(copy, nodes.Copy) and copy.dest == "c:\\"
    assert isinstance(run, nodes.Run) and run.command.args == ("dir c:\\     && echo done",)
    assert isinstance(cmd, nodes.Cmd) and cmd.command.args == ("Write-Host hello",)
    assert rule_names(WINDOWS) == []
