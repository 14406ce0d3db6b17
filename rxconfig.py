import os
import sys

import reflex as rx
from pydantic import ValidationError

from smslinks.config import backend_workers, describe, get_settings, reflex_redis_url

try:
    settings = get_settings()
except ValidationError as error:
    sys.exit(f"smslinks cannot start:\n{describe(error)}")  # the reason, without a traceback

if (workers := backend_workers(settings.redis_url)) is not None:
    os.environ.setdefault("GRANIAN_WORKERS", str(workers))

config = rx.Config(
    app_name="smslinks",
    telemetry_enabled=False,
    # In production mode the backend serves the pages too, on this one port. No frontend_port:
    # Reflex refuses one with `reflex run --backend-only` (several backends behind a load balancer).
    backend_port=settings.backend_port or settings.port,
    api_url=settings.backend_url,
    deploy_url=settings.public_url,
    # Several backend workers share client state through Redis when REDIS_URL is set.
    redis_url=reflex_redis_url(settings.redis_url) if settings.redis_url else None,
    state_manager_mode="redis" if settings.redis_url else "disk",
    cors_allowed_origins=settings.cors_allowed_origins,
    show_built_with_reflex=False,
    # Radix Themes (its CSS and components) serve the staff pages, which wrap themselves in the theme
    # (pages/layout.py). No app-wide wrapper, so the customer pay page loads none of it.
    plugins=[rx.plugins.RadixThemesPlugin(theme=None)],
    frontend_lazy_bundled_libraries=True,
    default_color_mode="light",
    # Browsers ask for br (Chromium even on http://localhost); gzip for the rest.
    frontend_compression_formats=["brotli", "gzip"],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
