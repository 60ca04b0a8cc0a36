"""The referrers API: the manifests of a repository whose `subject` is a digest, optionally by artifact type."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hydock.registry.server import params
from hydock.registry.server.records import ReferrersIndex
from hydock.registry.server.responses import json_response
from hydock.registry.server.state import STORAGE
from hydock.store.records import MEDIA_OCI_INDEX

routes = web.RouteTableDef()


@routes.get(f"/v2/{params.NAME}/referrers/{{digest}}")
async def list_referrers(request: web.Request) -> web.Response:
    """Always an index, empty when nothing refers to the digest: a 404 would tell clients the API is missing."""
    name = params.repository(request)
    subject = params.digest(request.match_info["digest"])
    referrers = await asyncio.to_thread(request.app[STORAGE].referrers, name, subject)
    artifact_type = request.query.get("artifactType")
    if artifact_type:
        referrers = [entry for entry in referrers if entry.artifact_type == artifact_type]
    response = json_response(ReferrersIndex(referrers), content_type=MEDIA_OCI_INDEX)
    if artifact_type:
        response.headers["OCI-Filters-Applied"] = "artifactType"
    return response
