"""dockerfiles/: hadolint, the structure of both images, and nginx.conf's behaviour."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ._support import DOCKERFILES, TerraformConfig, one, optional_tool, require_tool

BACKEND = DOCKERFILES / "backend" / "Dockerfile.prod"
FRONTEND = DOCKERFILES / "frontend" / "Dockerfile.prod"
NGINX_CONF = DOCKERFILES / "frontend" / "nginx.conf"
PINNED_TAG = re.compile(r"^[a-z0-9./-]+:\d+\.\d+(\.\d+)?[-a-z0-9.]*$")
# name:MAJOR.MINOR.PATCH[-variant]: a base image pinned to one patch release.
PATCH_TAG = re.compile(
    r"^(?P<name>[a-z0-9./-]+):(?P<major>\d+)\.(?P<minor>\d+)\.\d+(?:-[a-z0-9.-]+)?$"
)

# Release lines with upstream support, as published on 2026-12-03 (nodejs/Release README,
# the Python devguide's release cycle, nginx.org). A line leaves these sets when it reaches its end
# of life: Node 20 did on 2026-04-30.
NODE_LTS_LINES = {
    "22": "Maintenance LTS until 2027-04-30",
    "24": "Maintenance LTS until 2028-04-30",
    "26": "Active LTS, maintenance from 2027-10-20, end of life 2029-04-30",
}
PYTHON_LINES = {
    "3.12": "security fixes until 2028-10",
    "3.13": "bug fixes, end of life 2029-10",
    "3.14": "bug fixes, end of life 2030-10",
}
# nginx.org maintains one stable (even) and one mainline (odd) branch at a time.
NGINX_LINES = {"1.30": "stable", "1.31": "mainline"}
WORKER_CLASS = "uvicorn_worker.UvicornWorker"


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse_dockerfile(path: Path) -> list[Stage]:
    """Stages with their instructions (continuation lines joined, comments dropped)."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", args, re.I)
            assert match, line
            stages.append(Stage(image=match[1], name=match[2]))
        elif keyword not in ("ARG",) or stages:
            assert stages, f"{keyword} before FROM in {path}"
            stages[-1].instructions.append((keyword, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not exec form: {args}"
    return [str(v) for v in value]


# --- hadolint ----------------------------------------------------------------------------


@pytest.mark.parametrize("dockerfile", [BACKEND, FRONTEND], ids=["backend", "frontend"])
def test_hadolint_reports_nothing(dockerfile: Path) -> None:
    hadolint = require_tool("hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", "--format", "json", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0, result.stderr


# --- backend -----------------------------------------------------------------------------


def test_backend_is_multi_stage_with_pinned_identical_bases() -> None:
    stages = parse_dockerfile(BACKEND)
    assert len(stages) >= 2
    builder, runtime = stages[0], stages[-1]
    assert builder.name, "the builder stage needs a name to copy from"
    for stage in stages:
        assert PINNED_TAG.match(stage.image), f"unpinned base image {stage.image}"
        assert "slim" in stage.image
    # The venv's interpreter is a symlink into the base image: both must be the same.
    assert builder.image == runtime.image


def test_backend_builds_dependencies_in_the_builder_and_copies_only_the_venv() -> None:
    stages = parse_dockerfile(BACKEND)
    builder, runtime = stages[0], stages[-1]
    builder_runs = " ".join(builder.all("RUN"))
    assert "venv /opt/venv" in builder_runs
    assert re.search(r"pip install .*requirements", builder_runs)
    assert not [r for r in runtime.all("RUN") if "pip install" in r], "pip in the runtime"
    assert f"--from={builder.name} /opt/venv /opt/venv" in runtime.all("COPY")
    assert any("/opt/venv/bin" in env for env in runtime.all("ENV"))


def test_backend_runs_as_a_non_root_user() -> None:
    runtime = parse_dockerfile(BACKEND)[-1]
    users = runtime.all("USER")
    assert users, "no USER in the runtime stage"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # And the user exists (created in this stage).
    assert any("useradd" in run and user in run for run in runtime.all("RUN")) or user.isdigit()


def test_backend_cmd_is_gunicorn_with_uvicorn_workers_on_port_8000() -> None:
    runtime = parse_dockerfile(BACKEND)[-1]
    (cmd_args,) = runtime.all("CMD")
    cmd = exec_form(cmd_args)
    assert cmd[0] == "gunicorn"
    worker = cmd[cmd.index("-k") + 1] if "-k" in cmd else cmd[cmd.index("--worker-class") + 1]
    assert worker == WORKER_CLASS
    bind = cmd[cmd.index("--bind") + 1] if "--bind" in cmd else cmd[cmd.index("-b") + 1]
    assert bind == "0.0.0.0:8000"
    assert "--reload" not in cmd
    assert "8000" in runtime.all("EXPOSE")


def test_backend_installs_the_uvicorn_worker_package_its_cmd_runs() -> None:
    stages = parse_dockerfile(BACKEND)
    builder, runtime = stages[0], stages[-1]
    install = " ".join(r for r in builder.all("RUN") if "pip install" in r)
    # Pinned like gunicorn, so a rebuild of the same commit runs the same worker code.
    assert re.search(r'"uvicorn-worker==\d+\.\d+\.\d+"', install), install
    assert re.search(r'"gunicorn==\d+\.\d+\.\d+"', install), install
    # The build fails early when the worker's module does not import.
    module = WORKER_CLASS.rsplit(".", 1)[0]
    assert re.search(rf"import [\w, ]*\b{module}\b", install), install
    # The deprecated class is gone from every instruction, the import check included.
    for stage in stages:
        for keyword, args in stage.instructions:
            assert "uvicorn.workers" not in args, f"{keyword} {args}"
    assert WORKER_CLASS in exec_form(runtime.all("CMD")[0])


def test_backend_has_a_healthcheck_against_port_8000() -> None:
    runtime = parse_dockerfile(BACKEND)[-1]
    (healthcheck,) = runtime.all("HEALTHCHECK")
    assert "CMD" in healthcheck and "8000" in healthcheck


def test_backend_build_context_is_the_repository_root() -> None:
    stages = parse_dockerfile(BACKEND)
    copies = [c for s in stages for c in s.all("COPY") if not c.startswith("--from")]
    assert copies and all(c.split()[-2].startswith("backend/") for c in copies), copies
    text = BACKEND.read_text(encoding="utf-8")
    assert "Build context" in text, "the build context assumption must be documented"


# --- frontend ----------------------------------------------------------------------------


def test_frontend_builds_with_npm_and_serves_with_nginx_alpine() -> None:
    stages = parse_dockerfile(FRONTEND)
    assert len(stages) >= 2
    build, runtime = stages[0], stages[-1]
    assert build.image.startswith("node:") and PINNED_TAG.match(build.image), build.image
    runs = build.all("RUN")
    assert any(r.startswith("npm ci") for r in runs)
    assert any(r == "npm run build" for r in runs)
    # npm ci runs on the lock file alone, before the sources, for layer caching.
    copies = build.all("COPY")
    assert "package-lock.json" in copies[0] and "package.json" in copies[0]
    assert runtime.image.startswith("nginx:") and runtime.image.endswith("-alpine")
    assert PINNED_TAG.match(runtime.image), runtime.image
    assert f"--from={build.name} /app/dist /usr/share/nginx/html" in runtime.all("COPY")


def test_frontend_installs_nginx_conf_as_a_template() -> None:
    runtime = parse_dockerfile(FRONTEND)[-1]
    assert (
        "dockerfiles/frontend/nginx.conf /etc/nginx/templates/default.conf.template"
        in runtime.all("COPY")
    )
    env = " ".join(runtime.all("ENV"))
    assert 'VITE_API_URL=""' in env
    assert "NGINX_ENVSUBST_FILTER" in env
    assert runtime.all("HEALTHCHECK")
    assert "80" in runtime.all("EXPOSE")


@pytest.mark.parametrize(
    ("dockerfile", "needed"),
    [
        (BACKEND, ["backend/"]),
        (FRONTEND, ["frontend/", "dockerfiles/frontend/nginx.conf"]),
    ],
    ids=["backend", "frontend"],
)
def test_dockerignore_admits_only_what_the_image_needs(dockerfile: Path, needed: list[str]) -> None:
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
    lines = [
        line.strip()
        for line in ignore.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*"
    assert sorted(line[1:] for line in lines if line.startswith("!")) == sorted(needed)
    assert any("node_modules" in line or ".venv" in line for line in lines)


# --- base image versions -------------------------------------------------------------------


def base_images() -> dict[str, list[re.Match[str]]]:
    """Every stage's FROM image of both Dockerfiles, parsed as name:MAJOR.MINOR.PATCH-variant."""
    found: dict[str, list[re.Match[str]]] = {}
    for dockerfile in (BACKEND, FRONTEND):
        for stage in parse_dockerfile(dockerfile):
            match = PATCH_TAG.match(stage.image)
            assert match, f"{dockerfile.parent.name}: {stage.image} is not pinned to a patch"
            found.setdefault(match["name"], []).append(match)
    return found


def test_every_base_image_is_pinned_to_a_patch_release() -> None:
    assert set(base_images()) == {"python", "node", "nginx"}


def test_frontend_builds_on_a_supported_node_lts_line() -> None:
    (node,) = base_images()["node"]
    assert node["major"] in NODE_LTS_LINES, (
        f"node {node['major']} is not a supported LTS line ({', '.join(NODE_LTS_LINES)})"
    )
    # Alpine like the runtime stage, with the Alpine release pinned too.
    assert re.search(r"-alpine3\.\d+$", node[0]), node[0]


def test_backend_runs_a_supported_python_line() -> None:
    pythons = base_images()["python"]
    lines = {f"{m['major']}.{m['minor']}" for m in pythons}
    assert len(lines) == 1, lines
    assert lines <= set(PYTHON_LINES), lines


def test_frontend_serves_with_a_pinned_nginx_alpine_release() -> None:
    (nginx,) = base_images()["nginx"]
    assert nginx[0].endswith("-alpine"), nginx[0]
    assert f"{nginx['major']}.{nginx['minor']}" in NGINX_LINES, nginx[0]


# --- nginx.conf, statically --------------------------------------------------------------


def nginx_locations(text: str) -> dict[str, str]:
    """`location` modifier+path -> block body (each block closes on a line of its own)."""
    return {
        " ".join(m[1].split()): m[2]
        for m in re.finditer(r"location\s+([^{]+?)\s*\{(.*?)\n\s*\}", text, re.S)
    }


def test_nginx_falls_back_to_index_html_for_client_routes() -> None:
    locations = nginx_locations(NGINX_CONF.read_text(encoding="utf-8"))
    assert re.search(r"try_files\s+\$uri\s+\$uri/\s+/index\.html;", locations["/"])


def test_nginx_caches_hashed_assets_long_and_index_html_never() -> None:
    locations = nginx_locations(NGINX_CONF.read_text(encoding="utf-8"))
    assets = locations["/assets/"]
    max_age = re.search(r"max-age=(\d+)", assets)
    assert max_age and int(max_age[1]) >= 31536000
    assert "immutable" in assets
    assert "=404" in assets, "a missing asset must not fall back to index.html"
    assert re.search(r'Cache-Control\s+"no-cache"', locations["= /index.html"])


def test_nginx_serves_the_runtime_api_url() -> None:
    locations = nginx_locations(NGINX_CONF.read_text(encoding="utf-8"))
    assert "${VITE_API_URL}" in locations["= /config.json"]


def test_images_listen_where_terraform_sends_traffic_and_probes(tf: TerraformConfig) -> None:
    backend_cmd = exec_form(parse_dockerfile(BACKEND)[-1].all("CMD")[0])
    nginx = NGINX_CONF.read_text(encoding="utf-8")
    listen = re.findall(r"^\s*listen\s+(\d+)\s*;", nginx, re.M)
    served = {"backend": backend_cmd[backend_cmd.index("--bind") + 1].rsplit(":", 1)[1]}
    served["frontend"] = listen[0]
    for name in ("backend", "frontend"):
        app = tf.resource("azurerm_container_app", name)
        assert str(one(app["ingress"], "ingress")["target_port"]) == served[name], name
        container = one(one(app["template"], "template")["container"], "container")
        for probe in ("liveness_probe", "readiness_probe"):
            spec = one(container[probe], probe)
            assert str(spec["port"]) == served[name], f"{name} {probe}"
            if spec["transport"] == "HTTP":
                assert f"location = {spec['path']}" in nginx, f"{name} {probe} path"


# --- nginx.conf, for real (when nginx is installed) --------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def render_template(text: str, environ: dict[str, str]) -> str:
    """What the nginx image's entrypoint does with NGINX_ENVSUBST_FILTER=^VITE_."""
    return re.sub(
        r"\$\{(VITE_\w*)\}|\$(VITE_\w*)",
        lambda m: environ.get(m[1] or m[2], m[0]),
        text,
    )


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


@pytest.fixture(scope="module")
def nginx_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = optional_tool("nginx")
    base = tmp_path_factory.mktemp("nginx")
    html = base / "html"
    (html / "assets").mkdir(parents=True)
    (html / "index.html").write_text("<!doctype html><title>app</title>", encoding="utf-8")
    (html / "assets" / "index-3f2a9c.js").write_text("console.log(1);", encoding="utf-8")
    port = free_port()
    server = render_template(
        NGINX_CONF.read_text(encoding="utf-8"), {"VITE_API_URL": "https://api.example.test"}
    )
    assert "listen 80;" in server
    server = server.replace("listen 80;", f"listen 127.0.0.1:{port};")
    server = server.replace("/usr/share/nginx/html", str(html))
    (base / "server.conf").write_text(server, encoding="utf-8")
    # As root, nginx would run its workers as nobody, who cannot read pytest's temp dir.
    user = "user root;" if hasattr(os, "geteuid") and os.geteuid() == 0 else ""
    (base / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
daemon off;
pid {base}/nginx.pid;
error_log {base}/error.log;
events {{ worker_connections 16; }}
http {{
    types {{ text/html html; application/javascript js; application/json json; }}
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {base}/tmp-body;
    proxy_temp_path {base}/tmp-proxy;
    fastcgi_temp_path {base}/tmp-fastcgi;
    uwsgi_temp_path {base}/tmp-uwsgi;
    scgi_temp_path {base}/tmp-scgi;
    include {base}/server.conf;
}}
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [binary, "-p", str(base), "-c", str(base / "nginx.conf")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    output = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"nginx did not start: {output}")
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def get(base_url: str, path: str) -> Response:
    try:
        with urllib.request.urlopen(base_url + path, timeout=5) as reply:  # noqa: S310 - loopback
            return Response(reply.status, dict(reply.headers), reply.read().decode())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read().decode())


@pytest.mark.parametrize("path", ["/", "/stocks/42", "/settings/profile?tab=2"])
def test_nginx_serves_index_html_for_client_routes(nginx_server: str, path: str) -> None:
    response = get(nginx_server, path)
    assert response.status == 200
    assert "<title>app</title>" in response.body
    assert response.headers.get("Cache-Control") == "no-cache"


def test_nginx_serves_assets_with_a_year_of_caching(nginx_server: str) -> None:
    response = get(nginx_server, "/assets/index-3f2a9c.js")
    assert response.status == 200
    assert response.body == "console.log(1);"
    assert response.headers.get("Cache-Control") == "public, max-age=31536000, immutable"


def test_nginx_answers_404_uncached_for_a_missing_asset(nginx_server: str) -> None:
    response = get(nginx_server, "/assets/gone-000000.js")
    assert response.status == 404
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_nginx_serves_the_environment_config_and_health(nginx_server: str) -> None:
    config = get(nginx_server, "/config.json")
    assert config.status == 200
    assert json.loads(config.body) == {"apiUrl": "https://api.example.test"}
    assert get(nginx_server, "/healthz").status == 200
