"""Fixtures for the browser tests: throw-away JupyterLab / Notebook 7 servers and headless Chromium.

Debian's /usr/bin/chromium is driven by the Python `playwright` package (no browser
download is needed). Without a Chromium these tests are skipped, unless
ANNBOOK_REQUIRE_BROWSER=1 (set by `make test`), where a missing browser is an error.

Fixtures
  lab      (session)  throw-away JupyterLab server on 127.0.0.1:<free port>, serving
                      a copy of the repository's nbs/ folder (or $BW_NOTEBOOKS)
  notebook7 (session) the same for Jupyter Notebook 7 (`python -m notebook`); notebooks
                      open at /notebooks/<path> instead of /lab/tree/<path>
  browser  (session)  headless Chromium (Playwright Browser)
  page     (function) fresh browser context + page; page.external_requests lists
                      every request that did not go to 127.0.0.1 / data: / blob: / file:
Helpers
  open_notebook(page, lab, name)  open a notebook, wait until its kernel is idle
  run_all_cells(page)             "Run > Run All Cells", wait until done,
                                  return the error outputs (list of str)
Both helpers work for either server: both frontends are built from the same JupyterLab
plugins and, started with `expose_app_in_browser`, both put their application object at
`window.jupyterapp` (same command registry, shell.currentWidget, sessionContext).
"""
from __future__ import annotations

import json
import os
import tempfile
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TOKEN = "test"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright adds most of these itself; listing them keeps the recipe explicit.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("BW_ARTIFACTS", str(REPO / "artifacts" / "screenshots")))
NOTEBOOKS = Path(os.environ.get("BW_NOTEBOOKS", REPO / "nbs"))  # copied to the server root
# Persistent scratch "home" (matplotlib font cache, IPython profile, Chromium crash dir),
# so nothing is written to $HOME and caches survive between runs.
STATE = Path(os.environ.get("BW_STATE", str(Path(tempfile.gettempdir()) / "annbook-browser-state")))
LOCAL_PREFIXES = ("http://127.0.0.1", "data:", "blob:", "file:", "about:")
METRICS: dict[str, str] = {}  # printed at the end of the pytest run

# JupyterLab user settings for the throw-away server.
LAB_SETTINGS = {
    # no "get notified about official Jupyter news?" toast, no update check
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # attach all cells to the DOM (no virtualisation); never ask which kernel to use
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
    # never write outputs back into the (copied) notebook
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}

expect.set_options(timeout=20_000)


def isolated_env(runtime_dir: Path | None = None) -> dict[str, str]:
    """os.environ with Jupyter/IPython/XDG dirs redirected below STATE."""
    env = dict(os.environ)
    for var, sub in [("JUPYTER_CONFIG_DIR", "jupyter-config"), ("JUPYTER_DATA_DIR", "jupyter-data"),
                     ("IPYTHONDIR", "ipython"), ("XDG_CONFIG_HOME", "xdg-config"),
                     ("XDG_CACHE_HOME", "xdg-cache")]:
        (STATE / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(STATE / sub)
    if runtime_dir is not None:
        runtime_dir.mkdir(parents=True, exist_ok=True)
        env["JUPYTER_RUNTIME_DIR"] = str(runtime_dir)
    env["JUPYTER_PLATFORM_DIRS"] = "1"  # silences a jupyter_core deprecation warning
    return env


# ---------------------------------------------------------------- processes

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cmdline(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return None


def _descendants(pid: int) -> dict[int, str]:
    """{pid: cmdline} of all live descendants of `pid` (kernels run in their own session)."""
    children: dict[int, list[int]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            ppid = int((p / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(p.name))
    found, todo = {}, [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            cmd = _cmdline(child)
            if cmd is not None:
                found[child] = cmd
                todo.append(child)
    return found


class Lab:
    """A running Jupyter server (JupyterLab or Notebook 7) that a fixture started."""

    def __init__(self, url: str, root: Path, proc: subprocess.Popen, log: Path, app: str = "jupyterlab"):
        self.url, self.token, self.root, self.proc, self.log, self.app = url, TOKEN, root, proc, log, app

    def notebook_url(self, name: str) -> str:
        """Where this frontend opens the notebook `name` (relative to the server root)."""
        route = SERVER_APPS[self.app]["route"]
        return f"{self.url}/{route}/{name}?token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10):
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        """Delete all sessions and kernels, so the next open starts a fresh kernel."""
        for s in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{s['id']}")
        for k in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{k['id']}")


def _wait_ready(proc: subprocess.Popen, url: str, timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2) as r:
                if r.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started and any of its descendants - by PID only."""
    kids = _descendants(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # jupyter_server shuts its kernels down on SIGTERM
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid, cmd in kids.items():  # leftovers, only if the PID was not reused
        if _cmdline(pid) == cmd:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


# The two frontends: `python -m <module>`, the traitlets class that owns its frontend options,
# and the URL prefix that opens a notebook. Notebook 7 (`notebook.app.JupyterNotebookApp`) is a
# jupyterlab_server app like LabApp and has the same `expose_app_in_browser`, `user_settings_dir`
# and `workspaces_dir` traits, under its own class name: `--LabApp.expose_app_in_browser` does
# not reach it, and `--NotebookApp.*` is the Notebook 6 / nbclassic name. JupyterLab's server
# extension is loaded next to Notebook 7 too, so the `--LabApp.*` options below still apply there.
SERVER_APPS = {
    "jupyterlab": {"cls": "LabApp", "route": "lab/tree", "what": "JupyterLab"},
    "notebook": {"cls": "JupyterNotebookApp", "route": "notebooks", "what": "Jupyter Notebook 7"},
}


def _serve(tmp_path_factory, app: str = "jupyterlab"):
    """Start `python -m <app>` on a copy of NOTEBOOKS; yield a `Lab`; stop it (generator for fixtures)."""
    cls, what = SERVER_APPS[app]["cls"], SERVER_APPS[app]["what"]
    prefix = "lab" if app == "jupyterlab" else app
    base = tmp_path_factory.mktemp(prefix)
    root = base / "notebooks"
    root.mkdir()
    # work on a copy: the frontend may save
    shutil.copytree(NOTEBOOKS, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = base / "user-settings"
    for name, values in LAB_SETTINGS.items():  # Notebook 7 reads the same plugin settings
        f = settings / f"{name}.jupyterlab-settings"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(json.dumps(values))
    env = isolated_env(base / "runtime")

    for _attempt in range(3):  # a free port can be taken between probe and bind
        port = _free_port()
        cmd = [sys.executable, "-m", app, "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root}",
               f"--{cls}.expose_app_in_browser=True",  # window.jupyterapp for robust commands
               f"--{cls}.user_settings_dir={settings}", f"--{cls}.workspaces_dir={base / 'workspaces'}",
               "--LabApp.extension_manager=readonly",    # never query PyPI
               "--LanguageServerManager.autodetect=False"]  # jupyter_lsp: skip probing (runs npm)
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        log = base / f"{prefix}-{port}.log"
        with open(log, "wb") as fh:
            proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, cwd=root, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        if _wait_ready(proc, url):
            break
        _stop(proc)
    else:
        raise RuntimeError(f"{what} did not start:\n{log.read_text()[-3000:]}")

    server = Lab(url, root, proc, log, app)
    try:
        yield server
    finally:
        try:
            server.shutdown_kernels()
        except OSError:
            pass
        _stop(proc)


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    yield from _serve(tmp_path_factory, "jupyterlab")


@pytest.fixture(scope="session")
def notebook7(tmp_path_factory):
    try:
        import notebook
        ok = int(notebook.__version__.split(".")[0]) >= 7
    except ImportError:
        ok = False
    if not ok:
        why = "needs Jupyter Notebook 7: pip install 'notebook>=7' (in the dev extra)"
        pytest.fail(why) if os.environ.get("ANNBOOK_REQUIRE_BROWSER") == "1" else pytest.skip(why)
    yield from _serve(tmp_path_factory, "notebook")


# ---------------------------------------------------------------- browser

def pytest_collection_modifyitems(config, items):
    """Mark every test here `browser`; skip them when there is no Chromium (error if one is required)."""
    have = Path(CHROMIUM).exists()
    for item in items:
        if Path(str(item.fspath)).is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)
            if not have and os.environ.get("ANNBOOK_REQUIRE_BROWSER") != "1":
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"ANNBOOK_REQUIRE_BROWSER=1 but there is no Chromium at {CHROMIUM}")
    env = isolated_env()
    env["HOME"] = str(STATE)  # the Debian /usr/bin/chromium wrapper looks at $HOME
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    pg.external_requests = []
    pg.on("request", lambda r: None if r.url.startswith(LOCAL_PREFIXES) else pg.external_requests.append(r.url))
    yield pg
    ctx.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ---------------------------------------------------------------- JupyterLab / Notebook 7 helpers

_KERNEL_IDLE = """(name) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || w.context.path !== name) return false;
  const k = w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""

_ERRORS = """() => {
  const errs = [];
  for (const cell of window.jupyterapp.shell.currentWidget.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const outs = cell.model.outputs;
    for (let i = 0; i < outs.length; i++) {
      const o = outs.get(i).toJSON();
      if (o.output_type === 'error') errs.push(`${o.ename}: ${o.evalue}`);
    }
  }
  return errs;
}"""


def open_notebook(page, lab: Lab, name: str, timeout: float = 60_000) -> None:
    """Open `name` (relative to the server root) with a fresh kernel; wait until idle."""
    lab.shutdown_kernels()
    page.goto(lab.notebook_url(name))
    page.wait_for_function(_KERNEL_IDLE, arg=name, timeout=timeout)


def run_all_cells(page, timeout: float = 120_000) -> list[str]:
    """Run all cells of the current notebook; return error outputs ("Ename: evalue")."""
    page.evaluate("""() => { window.__runAllDone = undefined;
        window.jupyterapp.commands.execute('notebook:run-all-cells')
          .then(() => { window.__runAllDone = true; }, e => { window.__runAllDone = String(e); }); }""")
    page.wait_for_function("window.__runAllDone !== undefined", timeout=timeout)
    done = page.evaluate("window.__runAllDone")
    assert done is True, f"run-all-cells failed: {done}"
    return page.evaluate(_ERRORS)


def pytest_terminal_summary(terminalreporter):
    if METRICS:
        terminalreporter.write_sep("-", "browser metrics")
        for k, v in METRICS.items():
            terminalreporter.write_line(f"{k}: {v}")
