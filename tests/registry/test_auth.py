"""Basic auth from htpasswd, the bearer token flow with a real token server, read-only mode and TLS."""

from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import urlencode

import jwt
import pytest
import requests

from tests.registry.conftest import Server, StartServer
from tests.registry.helpers import error_codes, push_blob, push_image, sha256
from tests.registry.keys import write_htpasswd, write_private_key, write_public_key, write_self_signed

USERS = {"alice": "wonderland", "bob": "builder"}


@pytest.fixture
def htpasswd(tmp_path: Path) -> Path:
    return write_htpasswd(tmp_path / "htpasswd", USERS)


def test_basic_auth(start_server: StartServer, tmp_path: Path, htpasswd: Path, http: requests.Session) -> None:
    server = start_server("serve", "--root", str(tmp_path / "root"), "--htpasswd", str(htpasswd))
    anonymous = http.get(f"{server.url}/v2/")
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="hydock registry"'
    assert anonymous.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    assert error_codes(anonymous) == ["UNAUTHORIZED"]
    assert http.get(f"{server.url}/v2/", auth=("alice", "wrong")).status_code == 401
    assert http.get(f"{server.url}/v2/", auth=("mallory", "wonderland")).status_code == 401
    assert http.get(f"{server.url}/v2/", headers={"Authorization": "Basic !!!"}).status_code == 401

    refused = http.post(f"{server.url}/v2/private/blobs/uploads/", params={"digest": sha256(b"x")}, data=b"x")
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["detail"] == {"Type": "repository", "Name": "private", "Action": "push"}
    http.auth = ("alice", "wonderland")
    assert http.get(f"{server.url}/v2/").status_code == 200
    digest, _ = push_image(http, server.url, "private", "v1")
    assert http.get(f"{server.url}/v2/private/manifests/{digest}").status_code == 200


def test_htpasswd_must_be_bcrypt(tmp_path: Path, start_server: StartServer) -> None:
    plain = tmp_path / "plain"
    plain.write_text("alice:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")
    with pytest.raises(RuntimeError, match="only bcrypt entries are supported"):
        start_server("serve", "--root", str(tmp_path / "root"), "--htpasswd", str(plain))


class TokenSetup:
    def __init__(self, registry: Server, token_server: Server, signing_key: Path, algorithm: str) -> None:
        self.registry = registry
        self.token_server = token_server
        self.signing_key = signing_key
        self.algorithm = algorithm

    def token(self, user: str, password: str, *scopes: str) -> str:
        query = urlencode([("service", "hydock-test"), *(("scope", scope) for scope in scopes)])
        response = requests.get(f"{self.token_server.url}/token?{query}", auth=(user, password))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["access_token"] == body["token"] and body["expires_in"] == 300
        return body["token"]


@pytest.fixture(params=["ec", "rsa"], ids=["ES256", "RS256"])
def tokens(request: pytest.FixtureRequest, start_server: StartServer, tmp_path: Path, htpasswd: Path) -> TokenSetup:
    private = write_private_key(tmp_path / "signing.pem", request.param)
    public = write_public_key(private, tmp_path / "signing.pub.pem")
    acl = tmp_path / "acl.json"
    acl.write_text(json.dumps([
        {"account": "alice", "name": "*", "actions": ["*"]},
        {"account": "bob", "name": "shared/*", "actions": ["pull"]},
        {"account": "bob", "name": "bob/*", "actions": ["pull", "push"]},
    ]))  # fmt: skip
    token_server = start_server("token-server", "--key", str(private), "--htpasswd", str(htpasswd),
                                "--issuer", "hydock-test-issuer", "--acl", str(acl))  # fmt: skip
    registry = start_server(
        "serve", "--root", str(tmp_path / "root"), "--token-realm", f"{token_server.url}/token",
        "--token-service", "hydock-test", "--token-issuer", "hydock-test-issuer", "--token-key", str(public),
    )  # fmt: skip
    return TokenSetup(registry, token_server, private, "ES256" if request.param == "ec" else "RS256")


def test_token_challenge_names_realm_service_and_scope(tokens: TokenSetup, http: requests.Session) -> None:
    url = tokens.registry.url
    base = http.get(f"{url}/v2/")
    assert base.status_code == 401
    realm = f"{tokens.token_server.url}/token"
    assert base.headers["WWW-Authenticate"] == f'Bearer realm="{realm}",service="hydock-test"'
    pull = http.get(f"{url}/v2/shared/app/manifests/latest")
    assert pull.headers["WWW-Authenticate"].endswith(',scope="repository:shared/app:pull"')
    push = http.post(f"{url}/v2/shared/app/blobs/uploads/")
    assert push.status_code == 401 and error_codes(push) == ["UNAUTHORIZED"]
    assert push.headers["WWW-Authenticate"].endswith(',scope="repository:shared/app:pull,push"')
    catalog = http.get(f"{url}/v2/_catalog")
    assert catalog.headers["WWW-Authenticate"].endswith(',scope="registry:catalog:*"')


def test_token_flow_end_to_end(tokens: TokenSetup, http: requests.Session) -> None:
    url = tokens.registry.url
    alice = tokens.token("alice", "wonderland", "repository:shared/app:pull,push")
    http.headers["Authorization"] = f"Bearer {alice}"
    assert http.get(f"{url}/v2/").status_code == 200
    digest, manifest = push_image(http, url, "shared/app", "v1")
    assert http.get(f"{url}/v2/shared/app/manifests/v1").content == manifest

    # A token for one repository is no good for another.
    denied = http.get(f"{url}/v2/other/manifests/v1")
    assert denied.status_code == 403 and error_codes(denied) == ["DENIED"]
    assert 'error="insufficient_scope"' in denied.headers["WWW-Authenticate"]

    # bob may pull shared/* but not push there; he may push to bob/*.
    bob = tokens.token("bob", "builder", "repository:shared/app:pull,push")
    claims = jwt.decode(bob, options={"verify_signature": False})
    assert claims["access"] == [{"type": "repository", "name": "shared/app", "actions": ["pull"]}]
    http.headers["Authorization"] = f"Bearer {bob}"
    assert http.get(f"{url}/v2/shared/app/manifests/{digest}").status_code == 200
    refused = http.post(f"{url}/v2/shared/app/blobs/uploads/")
    assert refused.status_code == 403 and error_codes(refused) == ["DENIED"]
    assert http.delete(f"{url}/v2/shared/app/manifests/v1").status_code == 403
    http.headers["Authorization"] = "Bearer " + tokens.token("bob", "builder", "repository:bob/tools:pull,push")
    push_blob(http, url, "bob/tools", b"bob's blob")


def test_cross_mount_needs_pull_on_the_source(tokens: TokenSetup, http: requests.Session) -> None:
    url = tokens.registry.url
    http.headers["Authorization"] = "Bearer " + tokens.token("alice", "wonderland", "repository:secret:pull,push")
    digest = push_blob(http, url, "secret", b"classified")
    bob = tokens.token("bob", "builder", "repository:bob/x:pull,push", "repository:secret:pull")
    http.headers["Authorization"] = f"Bearer {bob}"
    response = http.post(f"{url}/v2/bob/x/blobs/uploads/", params={"mount": digest, "from": "secret"})
    assert response.status_code == 202  # no mount: an ordinary upload starts
    assert http.head(f"{url}/v2/bob/x/blobs/{digest}").status_code == 404


def test_bad_tokens_are_unauthorized(tokens: TokenSetup, tmp_path: Path, http: requests.Session) -> None:
    url = tokens.registry.url
    everything = [{"type": "repository", "name": "shared/app", "actions": ["pull", "push"]}]
    now = int(time.time())
    claims = {"iss": "hydock-test-issuer", "sub": "alice", "aud": "hydock-test", "exp": now + 60, "nbf": now,
              "iat": now, "jti": "x", "access": everything}  # fmt: skip
    own_key, algorithm = tokens.signing_key.read_bytes(), tokens.algorithm
    other_key = write_private_key(tmp_path / "other.pem", "ec" if algorithm == "ES256" else "rsa").read_bytes()
    forged = {
        "other key": jwt.encode(claims, other_key, algorithm=algorithm),
        "expired": jwt.encode({**claims, "exp": now - 10}, own_key, algorithm=algorithm),
        "other service": jwt.encode({**claims, "aud": "elsewhere"}, own_key, algorithm=algorithm),
        "other issuer": jwt.encode({**claims, "iss": "someone"}, own_key, algorithm=algorithm),
        "unsigned": jwt.encode(claims, None, algorithm="none"),
        "garbage": "not.a.token",
    }
    assert http.get(f"{url}/v2/shared/app/tags/list", headers={
        "Authorization": "Bearer " + jwt.encode(claims, own_key, algorithm=algorithm)}).status_code == 404  # fmt: skip
    for what, token in forged.items():
        response = http.get(f"{url}/v2/shared/app/tags/list", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, what
        assert error_codes(response) == ["UNAUTHORIZED"], what
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"], what


def test_token_server_refuses_bad_credentials(tokens: TokenSetup) -> None:
    url = f"{tokens.token_server.url}/token?service=hydock-test&scope=repository:a:pull"
    assert requests.get(url).status_code == 401
    response = requests.get(url, auth=("alice", "nope"))
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Basic ")


def test_read_only(start_server: StartServer, registry_root: Path, http: requests.Session) -> None:
    writable = start_server("serve", "--root", str(registry_root))
    digest, manifest = push_image(http, writable.url, "frozen", "v1")
    writable.stop()
    server = start_server("serve", "--root", str(registry_root), "--read-only")
    assert http.get(f"{server.url}/v2/frozen/manifests/v1").content == manifest
    for method, path in [("POST", "/v2/frozen/blobs/uploads/"), ("PUT", "/v2/frozen/manifests/v2"),
                         ("DELETE", f"/v2/frozen/manifests/{digest}"), ("PATCH", "/v2/frozen/blobs/uploads/x")]:  # fmt: skip
        response = http.request(method, server.url + path, data=b"")
        assert response.status_code == 405, (method, path)
        assert error_codes(response) == ["UNSUPPORTED"]
    assert http.get(f"{server.url}/v2/frozen/tags/list").json()["tags"] == ["v1"]


def test_tls(start_server: StartServer, tmp_path: Path) -> None:
    cert, key = write_self_signed(tmp_path)
    server = start_server("serve", "--root", str(tmp_path / "root"), "--tls-cert", str(cert), "--tls-key", str(key))
    assert server.url.startswith("https://")
    with requests.Session() as http:
        http.trust_env = False  # else REQUESTS_CA_BUNDLE, when set, would replace `verify`
        http.verify = str(cert)
        assert http.get(f"{server.url}/v2/").status_code == 200
        push_image(http, server.url, "secure", "v1")
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{server.url}/v2/")
