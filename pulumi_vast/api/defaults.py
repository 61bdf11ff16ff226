"""Where the client points by default, and the environment variables that override it."""

__all__ = ["API_KEY_ENV", "API_URL_ENV", "DEFAULT_API_URL"]

DEFAULT_API_URL = "https://console.vast.ai"
API_URL_ENV = "VAST_URL"
API_KEY_ENV = "VAST_API_KEY"
