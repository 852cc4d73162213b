"""A small JSON-RPC 2.0 client over HTTP/1.1 (standard library only).

Every call opens its own connection with a timeout, so a paused or partitioned node costs
at most that timeout and never wedges a client thread. Responses are read up to
RESPONSE_BYTES_MAX.
"""
import http.client
import json
import urllib.parse

RESPONSE_BYTES_MAX = 8 << 20
TIMEOUT_S = 3.0


class RpcError(Exception):
    """The node answered with a JSON-RPC error object."""

    def __init__(self, error):
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.error = error


class Unreachable(Exception):
    """No answer: connection refused or reset, timeout, or an unreadable response."""


def post_raw(url, body, content_type="application/json", path="/", timeout=TIMEOUT_S,
             method="POST"):
    """Sends BODY (bytes); returns (http_status, body bytes). Raises Unreachable."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        headers = {"Content-Type": content_type} if content_type else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(RESPONSE_BYTES_MAX + 1)
        if len(data) > RESPONSE_BYTES_MAX:
            raise Unreachable(f"{url}: response above {RESPONSE_BYTES_MAX} bytes")
        return response.status, data
    except (OSError, http.client.HTTPException) as e:
        raise Unreachable(f"{url}: {type(e).__name__}: {e}") from e
    finally:
        connection.close()


def request(method, params=None, call_id=1):
    return {"jsonrpc": "2.0", "id": call_id, "method": method,
            "params": [] if params is None else params}


def decode(url, status, data):
    if status != 200:
        raise Unreachable(f"{url}: HTTP {status}: {data[:200]!r}")
    try:
        return json.loads(data)
    except ValueError as e:
        raise Unreachable(f"{url}: unparsable response: {e}") from e


def call(url, method, params=None, timeout=TIMEOUT_S):
    """The result of one call. Raises RpcError or Unreachable."""
    body = json.dumps(request(method, params)).encode()
    reply = decode(url, *post_raw(url, body, timeout=timeout))
    if "error" in reply:
        raise RpcError(reply["error"])
    return reply.get("result")


def batch(url, calls, timeout=TIMEOUT_S):
    """[(method, params)...] in one batch; returns [(result, error_or_None)] in order."""
    if not calls:
        return []
    body = json.dumps([request(m, p, i) for i, (m, p) in enumerate(calls)]).encode()
    replies = decode(url, *post_raw(url, body, timeout=timeout))
    if not isinstance(replies, list):
        raise RpcError(replies.get("error", {"code": None, "message": str(replies)}))
    by_id = {r.get("id"): r for r in replies}
    out = []
    for i in range(len(calls)):
        r = by_id.get(i)
        if r is None:
            raise Unreachable(f"{url}: batch reply lacks id {i}")
        out.append((r.get("result"), r.get("error")))
    return out


def batched(url, calls, size=100, timeout=TIMEOUT_S):
    """Like batch() for any number of calls, split into batches of SIZE."""
    out = []
    for start in range(0, len(calls), size):
        out.extend(batch(url, calls[start:start + size], timeout))
    return out
