"""The OCI distribution client: HEAD before upload, one streamed PUT per blob, manifest digest checks."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.ecsops.fargate.plugins.module_utils import image_source
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import RegistryClient
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import RegistryError
from ansible_collections.ecsops.fargate.plugins.module_utils.registry import registry_login

from oci_images import FakeRegistry, write_layout


@pytest.fixture(name="fake")
def fixture_fake():
    return FakeRegistry()


@pytest.fixture(name="client")
def fixture_client(fake):
    return RegistryClient("http://registry.test", "Basic dG9rZW4=", transport=fake)


@pytest.fixture(name="source")
def fixture_source(tmp_path):
    write_layout(tmp_path / "img", "a")
    return image_source.read_oci_layout(str(tmp_path / "img"))


class _Tracking:
    """A stream that records how it was read: never all at once."""

    def __init__(self, data):
        self.data, self.pos, self.biggest, self.closed = data, 0, 0, False

    def read(self, size=-1):
        size = len(self.data) - self.pos if size < 0 else size
        self.biggest = max(self.biggest, size)
        piece = self.data[self.pos:self.pos + size]
        self.pos += len(piece)
        return piece

    def close(self):
        self.closed = True


def test_registry_login_decodes_ecr_token():
    token = base64.b64encode(b"AWS:pa55").decode()
    base, header, password = registry_login({"authorizationToken": token, "proxyEndpoint": "https://x.test/"})
    assert (base, header, password) == ("https://x.test", "Basic " + token, "pa55")
    assert registry_login({"authorizationToken": token, "proxyEndpoint": "x.test"})[0] == "https://x.test"


def test_push_blob_uploads_once_then_skips(client, fake, source):
    blob = next(iter(source.blobs.values()))
    assert client.push_blob("web", blob) == blob.size
    assert [entry[0] for entry in fake.log] == ["HEAD", "POST", "PUT"]
    fake.log.clear()
    assert client.push_blob("web", blob) == 0
    assert [entry[0] for entry in fake.log] == ["HEAD"]
    assert fake.uploads == 1


def test_upload_streams_the_blob_in_one_put_with_content_length(fake, client):
    data = b"z" * 100000
    from oci_images import digest_of
    stream = _Tracking(data)
    blob = image_source.Blob(digest_of(data), len(data), "x", lambda: stream)
    seen = {}

    def transport(method, url, headers, body, timeout, validate_certs):
        if method == "PUT":
            seen["body_is_stream"] = hasattr(body, "read")
            seen["length"] = headers["Content-Length"]
        return fake(method, url, headers, body, timeout, validate_certs)

    RegistryClient("http://registry.test", None, transport=transport).upload_blob("web", blob)
    assert seen == {"body_is_stream": True, "length": "100000"}
    assert stream.closed
    assert fake.blobs[blob.digest] == data


def test_manifest_put_and_get_check_digests(client, fake, source):
    for blob in source.blobs.values():
        client.push_blob("web", blob)
    assert client.put_manifest("web", "v1", source.raw_manifest, source.media_type) == source.digest
    raw, media_type, digest = client.get_manifest("web", "v1")
    assert (raw, media_type, digest) == (source.raw_manifest, source.media_type, source.digest)
    assert client.get_manifest("web", "missing") is None


def test_manifest_digest_mismatch_is_an_error(source):
    def lying(method, url, headers, body, timeout, validate_certs):
        return 201, {"Docker-Content-Digest": "sha256:" + "0" * 64}, b""

    with pytest.raises(RegistryError, match="stored manifest web:v1 as sha256:000"):
        RegistryClient("http://r.test", None, transport=lying).put_manifest("web", "v1", source.raw_manifest,
                                                                            source.media_type)


def test_registry_errors_carry_the_oci_code_and_never_the_authorization(client, fake, source):
    fake.immutable.add("v1")
    fake.tags["v1"] = "sha256:" + "1" * 64
    with pytest.raises(RegistryError) as err:
        client.put_manifest("web", "v1", source.raw_manifest, source.media_type)
    assert err.value.code == "TAG_INVALID" and err.value.status == 400
    assert "dG9rZW4" not in str(err.value)


def test_head_errors_other_than_404_raise(source):
    def denied(method, url, headers, body, timeout, validate_certs):
        return 401, {}, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'

    with pytest.raises(RegistryError, match="401 UNAUTHORIZED"):
        RegistryClient("http://r.test", None, transport=denied).push_blob("web", next(iter(source.blobs.values())))


def test_real_http_through_open_url(tmp_path, source):
    """The open_url transport against a loopback HTTP server holding the fake registry."""
    import http.server
    import threading

    fake = FakeRegistry()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, payload = fake(self.command, f"http://h{self.path}", dict(self.headers), body, 5, True)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_HEAD = do_PUT = do_POST = _any

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = RegistryClient(f"http://127.0.0.1:{server.server_port}", "Basic eA==")
        sent = sum(client.push_blob("web", blob) for blob in source.blobs.values())
        assert sent == source.total_size
        assert sum(client.push_blob("web", blob) for blob in source.blobs.values()) == 0
        assert client.put_manifest("web", "t", source.raw_manifest, source.media_type) == source.digest
        assert client.get_manifest("web", "t")[2] == source.digest
        assert client.get_manifest("web", "nope") is None
    finally:
        server.shutdown()
        server.server_close()


def test_transport_sends_streams_in_large_pieces_and_builds_one_ssl_context():
    """open_url would create an SSL context per request (~20 ms) and write a file in 8 KiB pieces."""
    import io

    from ansible_collections.ecsops.fargate.plugins.module_utils import registry

    data = b"x" * (registry.SEND_SIZE * 2 + 5)
    pieces = list(registry._pieces(io.BytesIO(data)))  # pylint: disable=protected-access
    assert [len(p) for p in pieces] == [registry.SEND_SIZE, registry.SEND_SIZE, 5]
    assert b"".join(pieces) == data
    assert registry._context(False) is registry._context(False)  # pylint: disable=protected-access
