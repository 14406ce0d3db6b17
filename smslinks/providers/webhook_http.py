"""Posts signed webhook bodies to the endpoints businesses registered (httpx).

Redirects are never followed (a 3xx is a failed attempt: the signature names the endpoint's own
URL, and a redirect could lead the body somewhere the business never chose); every request has a
timeout. One client and its connection pool serve all the sending threads.
"""

import httpx

from smslinks.core.webhook_sender import PostResult


class HttpWebhookPoster:
    def __init__(self, timeout_seconds: float = 10.0, max_connections: int = 64):
        self.timeout_seconds = timeout_seconds
        self._client = httpx.Client(
            follow_redirects=False,
            timeout=httpx.Timeout(timeout_seconds),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": "smslinks-webhooks/1"},
        )

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.TimeoutException:
            unit = "second" if self.timeout_seconds == 1 else "seconds"
            return PostResult(None, f"No answer within {self.timeout_seconds:g} {unit}.")
        except httpx.HTTPError as error:
            return PostResult(None, f"Could not reach the endpoint ({type(error).__name__}).")
        code = response.status_code
        if 200 <= code < 300:
            return PostResult(code, None)
        if 300 <= code < 400:
            where = response.headers.get("location", "another address")
            return PostResult(code, f"Redirected to {where}; redirects are not followed: use the final URL."[:300])
        return PostResult(code, f"The endpoint answered HTTP {code}.")

    def close(self) -> None:
        self._client.close()
