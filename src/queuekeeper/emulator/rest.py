"""The REST/JSON surface: what the gcloud CLI and the client's REST transport send.

Each route maps an HTTP method and a URL template of the Cloud Tasks v2 API's
HTTP rules to an RPC of the shared table. The URL's variables, the query
string and the JSON body are merged into one dictionary in the API's JSON
names and parsed into the request message, so camelCase fields, enum names
or numbers, and comma-separated update masks all arrive as the gRPC surface
would receive them. Errors use Google's JSON error shape.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import grpc
from google.protobuf import json_format

from .errors import ApiError
from .rpc import RpcTable

_QUEUE = r"projects/[^/]+/locations/[^/]+/queues/[^/:]+"
_TASK = _QUEUE + r"/tasks/[^/:]+"
_LOCATION = r"projects/[^/]+/locations/[^/]+"

# Query parameters about the response's encoding, not the request.
_TRANSPORT_PARAMS = frozenset(
    {"alt", "$alt", "prettyPrint", "fields", "$fields", "key"}
)

_HTTP_STATUS = {
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.CANCELLED: 499,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    rpc: str
    # Where the URL's variable goes ("parent", "name", "queue.name"), and where
    # the body goes: "*" for the whole request, a field name, or "" for none.
    variable: str
    body: str


def _route(
    method: str, template: str, suffix: str, rpc: str, variable: str, body: str
) -> Route:
    pattern = re.compile(f"^/v2/(?P<var>{template}){re.escape(suffix)}$")
    return Route(method, pattern, rpc, variable, body)


ROUTES = (
    _route("GET", _LOCATION, "/queues", "ListQueues", "parent", ""),
    _route("POST", _LOCATION, "/queues", "CreateQueue", "parent", "queue"),
    _route("GET", _QUEUE, "", "GetQueue", "name", ""),
    _route("PATCH", _QUEUE, "", "UpdateQueue", "queue.name", "queue"),
    _route("DELETE", _QUEUE, "", "DeleteQueue", "name", ""),
    _route("POST", _QUEUE, ":pause", "PauseQueue", "name", "*"),
    _route("POST", _QUEUE, ":resume", "ResumeQueue", "name", "*"),
    _route("POST", _QUEUE, ":purge", "PurgeQueue", "name", "*"),
    _route("GET", _QUEUE, "/tasks", "ListTasks", "parent", ""),
    _route("POST", _QUEUE, "/tasks", "CreateTask", "parent", "*"),
    _route("POST", _QUEUE, "/tasks:batchCreate", "BatchCreateTasks", "parent", "*"),
    _route("POST", _QUEUE, "/tasks:batchDelete", "BatchDeleteTasks", "parent", "*"),
    _route("GET", _TASK, "", "GetTask", "name", ""),
    _route("DELETE", _TASK, "", "DeleteTask", "name", ""),
    _route("POST", _TASK, ":run", "RunTask", "name", "*"),
)

# Extra GET pages served beside the API (the OIDC discovery document, keys).
Pages = dict[str, Callable[[], dict[str, Any]]]


def match(method: str, path: str) -> tuple[Route, str] | None:
    """The route for a request and the value of its URL variable."""
    for route in ROUTES:
        if route.method == method:
            found = route.pattern.match(path)
            if found:
                return route, found.group("var")
    return None


def build_request(
    route: Route, value: str, query: str, body: bytes, message: Any
) -> None:
    """Fill ``message`` from the URL variable, the query string and the body."""
    fields: dict[str, Any] = {}
    if body.strip():
        loaded = json.loads(body)
        if not isinstance(loaded, dict):
            raise ApiError(
                grpc.StatusCode.INVALID_ARGUMENT, "The body must be a JSON object."
            )
        if route.body == "*":
            fields.update(loaded)
        elif route.body:
            fields[route.body] = loaded
    for key, text in parse_qsl(query, keep_blank_values=True):
        if key not in _TRANSPORT_PARAMS:
            fields[key] = text
    _set_path(fields, route.variable, value)
    try:
        json_format.ParseDict(fields, message)
    except json_format.ParseError as exc:
        raise ApiError(
            grpc.StatusCode.INVALID_ARGUMENT, f"Invalid JSON payload: {exc}"
        ) from exc


def _set_path(fields: dict[str, Any], dotted: str, value: str) -> None:
    # The URL's name wins over one in the body (gcloud sends both, the
    # client's REST transport only the URL's).
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = fields.get(part)
        if not isinstance(child, dict):
            child = fields[part] = {}
        fields = child
    fields[leaf] = value


def error_body(code: grpc.StatusCode, message: str) -> tuple[int, bytes]:
    status = _HTTP_STATUS.get(code, 500)
    payload = {"error": {"code": status, "message": message, "status": code.name}}
    return status, json.dumps(payload).encode()


class RestServer:
    """An HTTP server for the REST surface, on its own threads."""

    def __init__(
        self, table: RpcTable, host: str, port: int, pages: Pages | None = None
    ) -> None:
        handler = type("Handler", (_Handler,), {"table": table, "pages": pages or {}})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            # A short poll keeps stop() quick: shutdown waits for one poll.
            target=self._server.serve_forever,
            args=(0.05,),
            name="emulator-rest",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    table: RpcTable
    pages: Pages
    protocol_version = "HTTP/1.1"
    server_version = "queuekeeper-emulator"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PUT(self) -> None:
        self._serve("PUT")  # no route takes PUT: a JSON 404, not an HTML page

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and the CLI print what matters

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = unquote(url.path)
        if method == "GET" and path in self.pages:
            self._send(200, json.dumps(self.pages[path]()).encode())
            return
        found = match(method, path)
        if found is None:
            self._send(
                *error_body(grpc.StatusCode.NOT_FOUND, f"No route for {method} {path}.")
            )
            return
        route, value = found
        try:
            self._send(200, self._call(route, value, url.query, body))
        except ApiError as error:
            self._send(*error_body(error.code, error.message))
        except ValueError as exc:  # a body that is not JSON
            self._send(*error_body(grpc.StatusCode.INVALID_ARGUMENT, str(exc)))

    def _call(self, route: Route, value: str, query: str, body: bytes) -> bytes:
        rpc = self.table.rpcs.get(route.rpc)
        if rpc is None or rpc.request_type is None:
            raise ApiError(
                grpc.StatusCode.UNIMPLEMENTED,
                f"{route.rpc} is not implemented by the emulator.",
            )
        request = rpc.request_type()
        build_request(route, value, query, body, request)
        response = self.table.invoke(route.rpc, request)
        # The client's REST transport asks for `$alt=json;enum-encoding=int`.
        numeric = "enum-encoding=int" in unquote(query)
        text: str = json_format.MessageToJson(response, use_integers_for_enums=numeric)
        return text.encode()

    def _send(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
