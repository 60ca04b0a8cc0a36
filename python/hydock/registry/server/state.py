"""What every route reaches through the application: the storage and the open uploads."""

from __future__ import annotations

from aiohttp import web

from hydock.registry.server.storage import RegistryStorage
from hydock.registry.server.uploads import Uploads

STORAGE = web.AppKey("storage", RegistryStorage)
UPLOADS = web.AppKey("uploads", Uploads)
