import reflex as rx

from smslinks.config import get_settings

settings = get_settings()

config = rx.Config(
    app_name="smslinks",
    telemetry_enabled=False,
    frontend_port=settings.port,
    backend_port=settings.backend_port or settings.port,
    api_url=settings.backend_url,
    deploy_url=settings.public_url,
    # Several backend workers share client state through Redis when REDIS_URL is set.
    redis_url=settings.redis_url,
    state_manager_mode="redis" if settings.redis_url else "disk",
    cors_allowed_origins=settings.cors_allowed_origins,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="teal", gray_color="slate", radius="medium", appearance="light")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
