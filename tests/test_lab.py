"""Open a chapter in JupyterLab as a student would, run it, and read what it shows.

JupyterLab is started from this environment the way ``make lab`` starts it (the same
command-line flags, read from the Makefile, and the settings override
``tools/lab/overrides.json``), but on a temporary copy of ``book/`` and
``jupytext.toml``, with its own settings, workspace and runtime directories, no token
and no browser. Headless Chromium, with every request that would leave the machine
blocked, opens ``/lab``, double-clicks the chapter in the file browser, checks that it
opened as a notebook (not in the text editor), runs all cells and waits until the
kernel is idle. Then the rendered prose must show the values of the chapter's
``{eval}`` roles (asked of the notebook's own kernel) and no role left unevaluated, the
math must be typeset, and no cell may show an error. Screenshots go to
``_build/screenshots/lab``.

A second, fast test saves every notebook chapter through jupytext's contents manager,
as JupyterLab does, after adding the metadata that running and reading add: with
``jupytext.toml``, the file must come back byte for byte.

Needs the ``lab`` extra (``make lab`` installs it) and, for the browser test, Debian's
Chromium. Without them the tests skip, except under CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import ast
import difflib
import importlib.util
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser_support import chromium, is_local, unavailable

# The chapter the browser test opens: one whose prose takes its numbers from {eval} roles,
# with display math, and that runs in seconds (no MCMC).
CHAPTER = "drug_trial"

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "_build" / "screenshots" / "lab"
LAB_MODULES = ("jupyterlab", "jupyterlab_myst", "jupytext", "jupyter_server")
EVAL_ROLE = re.compile(r"\{eval\}`([^`]+)`")
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # CSS for the notebook on show

# Generous: the chapter runs in about a minute on an idle 2-core machine, four times
# longer when the machine is busy, and the first run also compiles the models.
SERVER_START_S = 120
KERNEL_START_S = 180
RUN_ALL_S = 1200
RENDER_S = 120


def _require_lab_extra() -> None:
    missing = [name for name in LAB_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        unavailable(f"the lab extra is not installed ({', '.join(missing)}): run `make lab`")


def _notebook_chapters() -> list[str]:
    return [
        path.stem
        for path in sorted((ROOT / "book").glob("*.md"))
        if "kernelspec:" in path.read_text(encoding="utf-8")[:1000]
    ]


# ---------------------------------------------------------------------------------------
# Saving a chapter in the lab leaves it unchanged (jupytext.toml)
# ---------------------------------------------------------------------------------------


def _as_jupyterlab_leaves_it(notebook: dict) -> None:
    """Add what running all cells and reading add to a notebook, as JupyterLab sends it."""
    notebook["metadata"]["language_info"] = {"name": "python", "version": "3.12.0"}
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
            cell["metadata"]["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
            cell["metadata"]["collapsed"] = False
            cell["metadata"]["scrolled"] = True
        elif cell["cell_type"] == "markdown":
            # jupyterlab-myst stores the results of a cell's {eval} roles here.
            result = {"status": "ok", "data": {"text/plain": "'1'"}, "metadata": {}}
            cell["metadata"]["user_expressions"] = [{"expression": "x", "result": result}]
            if cell["source"].lstrip().startswith("#"):
                cell["metadata"]["jp-MarkdownHeadingCollapsed"] = True


@pytest.mark.parametrize("name", _notebook_chapters())
def test_saving_a_chapter_in_the_lab_leaves_it_unchanged(name: str, tmp_path: Path) -> None:
    _require_lab_extra()
    from jupytext import TextFileContentsManager

    (tmp_path / "book").mkdir()
    shutil.copy(ROOT / "jupytext.toml", tmp_path)
    before = (ROOT / "book" / f"{name}.md").read_text(encoding="utf-8")
    (tmp_path / "book" / f"{name}.md").write_text(before, encoding="utf-8")

    manager = TextFileContentsManager(root_dir=str(tmp_path))
    path = f"book/{name}.md"
    notebook = manager.get(path, content=True, type="notebook")["content"]
    _as_jupyterlab_leaves_it(notebook)
    manager.save({"type": "notebook", "format": "json", "content": notebook}, path)

    after = (tmp_path / path).read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), path, "saved"
        )
    )
    assert after == before, (
        f"saving {path} from JupyterLab would change it. If only YAML line breaks differ"
        " (figure captions), write the file the way jupytext writes it:"
        f" `.venv/bin/jupytext --to myst {path}`.\n{diff}"
    )


# ---------------------------------------------------------------------------------------
# The browser test
# ---------------------------------------------------------------------------------------


@dataclass
class Lab:
    url: str
    runtime: Path  # JUPYTER_RUNTIME_DIR: the kernels' connection files
    log: Path


def _lab_flags() -> list[str]:
    """The flags `make lab` passes to `jupyter lab` (the Makefile's LAB_FLAGS)."""
    make = shutil.which("make")
    if make is None:
        unavailable("make not found: the test reads the flags of `make lab` from the Makefile")
    show = "lab-flags: ; @:$(info $(LAB_FLAGS))"
    printed = subprocess.run(
        [make, "-s", "--no-print-directory", "--eval", show, "lab-flags"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flags = shlex.split(printed)
    assert any(flag.startswith("--ServerApp.root_dir=") for flag in flags), printed
    return flags


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    _require_lab_extra()
    jupyter = Path(sys.executable).with_name("jupyter")
    if not jupyter.exists():
        unavailable(f"no jupyter command next to {sys.executable}")
    base = tmp_path_factory.mktemp("lab")
    root = base / "root"
    shutil.copytree(
        ROOT / "book",
        root / "book",
        ignore=shutil.ignore_patterns("_build", ".ipynb_checkpoints", "__pycache__"),
    )
    shutil.copy(ROOT / "jupytext.toml", root)
    # The shipped override, where JupyterLab reads an environment's default settings.
    app_settings = base / "app-settings"
    app_settings.mkdir()
    shutil.copy(ROOT / "tools" / "lab" / "overrides.json", app_settings / "overrides.json")
    # The student's own settings: only "no news", so that no prompt covers the page.
    user_settings = base / "user-settings"
    notification = user_settings / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8"
    )
    runtime = base / "runtime"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JUPYTERLAB_SETTINGS_DIR": str(user_settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(base / "workspaces"),
    }
    flags = [
        f"--ServerApp.root_dir={root}" if flag.startswith("--ServerApp.root_dir=") else flag
        for flag in _lab_flags()
    ]
    port = _free_port()
    command = [
        str(jupyter),
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        f"--LabApp.app_settings_dir={app_settings}",
        *flags,
    ]
    log = base / "server.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()}")
            try:
                _get_json(f"{url}/api/status")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer in {SERVER_START_S} s")
                time.sleep(0.5)
        yield Lab(url=url, runtime=runtime, log=log)
    finally:
        server.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as instance:
        yield instance


def _kernel(lab: Lab, path: str) -> dict | None:
    sessions = _get_json(f"{lab.url}/api/sessions")
    return next((s["kernel"] for s in sessions if s["path"] == path and s["kernel"]), None)


def _wait_for_idle_kernel(page: object, lab: Lab, path: str, timeout_s: float) -> dict:
    # Poll with page.wait_for_timeout, never time.sleep: the sync Playwright API serves
    # the request router (and so every request of the page) only while it is called.
    deadline = time.monotonic() + timeout_s
    while True:
        kernel = _kernel(lab, path)
        if kernel is not None and kernel["execution_state"] == "idle":
            return kernel
        if time.monotonic() > deadline:
            log = lab.log.read_text(encoding="utf-8")[-3000:]
            pytest.fail(f"the kernel of {path} was not idle after {timeout_s} s: {kernel}\n{log}")
        page.wait_for_timeout(500)


def _evaluate(lab: Lab, kernel_id: str, names: list[str]) -> dict[str, str]:
    """Evaluate names in the notebook's kernel, as jupyterlab-myst does for {eval}.

    Returns the text each value shows as (a string shows without its quotes), or the
    error it raised.
    """
    from jupyter_client import BlockingKernelClient

    client = BlockingKernelClient(connection_file=str(lab.runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    try:
        reply = client.execute_interactive(
            "",
            silent=True,
            store_history=False,
            user_expressions={name: name for name in names},
            timeout=60,
        )
    finally:
        client.stop_channels()
    values = {}
    for name, result in reply["content"]["user_expressions"].items():
        if result["status"] != "ok":
            values[name] = f"{result.get('ename')}: {result.get('evalue')}"
            continue
        text = result["data"]["text/plain"]
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text
        values[name] = value if isinstance(value, str) else text
    return values


def _screenshots(page: object, stem: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob(f"{stem}-*.png"):
        old.unlink()
    scroller = f"{NOTEBOOK} .jp-WindowedPanel-outer"
    height = page.evaluate(f"() => document.querySelector('{scroller}').scrollHeight")
    step = page.evaluate(f"() => document.querySelector('{scroller}').clientHeight - 50")
    for index, top in enumerate(range(0, height, max(step, 200))):
        page.evaluate(f"() => {{ document.querySelector('{scroller}').scrollTop = {top}; }}")
        page.wait_for_timeout(300)
        page.screenshot(path=str(SHOTS / f"{stem}-{index:02d}.png"))


# In the browser; NOTEBOOK stands for the CSS selector of the notebook on show.
# PROSE_JS(keepCode): the text of the rendered Markdown cells (jupyterlab-myst renders each
# into a .myst widget) without math (KaTeX keeps the TeX source in a MathML annotation)
# and, unless keepCode, without code spans.
PROSE_JS = """(keepCode) => Array.from(
        document.querySelectorAll('NOTEBOOK .jp-MarkdownCell .myst'))
    .map(node => {
        const copy = node.cloneNode(true);
        copy.querySelectorAll(keepCode ? '.katex' : '.katex, code, pre')
            .forEach(n => n.remove());
        return copy.textContent;
    }).join(' ')"""
PROMPTS_JS = """Array.from(
    document.querySelectorAll('NOTEBOOK .jp-InputPrompt'), p => p.textContent)"""
STARTED_JS = f"() => {PROMPTS_JS}.some(t => /\\[(\\d+|\\*)\\]/.test(t))"
FINISHED_JS = f"() => !{PROMPTS_JS}.some(t => t.includes('*'))"
VALUES_SHOWN_JS = f"""(values) => {{
    const text = ({PROSE_JS})(true);
    return values.every(v => text.includes(v));
}}"""
CODE_CELLS_JS = r"""() => Array.from(document.querySelectorAll('NOTEBOOK .jp-CodeCell'))
    .map(cell => {
        const prompt = (cell.querySelector('.jp-InputPrompt') || {}).textContent || '';
        const error = Array.from(cell.querySelectorAll('.jp-OutputArea-output')).find(out =>
            out.dataset.mimeType === 'application/vnd.jupyter.error'
            || out.textContent.includes('Traceback (most recent call last)'));
        return {
            collapsed: !!cell.querySelector('.jp-InputPlaceholder'),
            ran: /\[\d+\]/.test(prompt),
            source: ((cell.querySelector('.cm-line') || {}).textContent || '').slice(0, 80),
            error: error ? error.textContent.trim().split('\n').slice(-1)[0] : '',
        };
    })"""
MATH_JS = """(selector) => document.querySelectorAll(
    'NOTEBOOK .jp-MarkdownCell ' + selector).length"""
PROSE_JS, STARTED_JS, FINISHED_JS, VALUES_SHOWN_JS, CODE_CELLS_JS, MATH_JS = (
    js.replace("NOTEBOOK", NOTEBOOK)
    for js in (PROSE_JS, STARTED_JS, FINISHED_JS, VALUES_SHOWN_JS, CODE_CELLS_JS, MATH_JS)
)


@pytest.mark.browser
@pytest.mark.slow
def test_chapter_runs_in_jupyterlab(browser: object, lab: Lab) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    source = (ROOT / "book" / f"{CHAPTER}.md").read_text(encoding="utf-8")
    names = sorted(set(EVAL_ROLE.findall(source)))
    assert names, f"{CHAPTER}.md has no {{eval}} roles to check: pick another CHAPTER"
    math_blocks = source.count("```{math}")
    path = f"book/{CHAPTER}.md"

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def route(route: object) -> None:
        if is_local(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    try:
        page.goto(f"{lab.url}/lab", wait_until="load")
        listing = page.locator(".jp-DirListing-content")
        entry = listing.locator(".jp-DirListing-item").filter(
            has=page.locator(".jp-DirListing-itemText", has_text=re.compile(rf"^{CHAPTER}\.md$"))
        )
        entry.wait_for(timeout=SERVER_START_S * 1000)
        shown = listing.locator(".jp-DirListing-itemText").all_text_contents()
        hidden = {"_ext", "bib", "references.bib"} & {name.strip() for name in shown}
        assert not hidden, f"the file browser shows what make lab hides: {sorted(hidden)}"

        entry.dblclick()
        panel = page.locator(".jp-NotebookPanel:visible")
        panel.locator(".jp-Cell").first.wait_for(timeout=KERNEL_START_S * 1000)
        assert page.locator(".jp-FileEditor:visible").count() == 0, "opened in the text editor"
        tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current .lm-TabBar-tabLabel")
        assert tab.text_content().strip() == f"{CHAPTER}.md"
        _wait_for_idle_kernel(page, lab, path, KERNEL_START_S)

        started = time.monotonic()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        page.wait_for_function(STARTED_JS, timeout=60_000)
        page.wait_for_function(FINISHED_JS, timeout=RUN_ALL_S * 1000)
        kernel = _wait_for_idle_kernel(page, lab, path, RENDER_S)
        ran_s = time.monotonic() - started
        code_cells = page.evaluate(CODE_CELLS_JS)

        values, executed = {}, "0"
        # A collapsed input (a check cell) shows no prompt: the kernel counts what ran.
        shown = [cell for cell in code_cells if not cell["collapsed"]]
        if all(cell["ran"] and not cell["error"] for cell in shown):
            executed = _evaluate(lab, kernel["id"], ["len(In) - 1"])["len(In) - 1"]
            values = _evaluate(lab, kernel["id"], names)
            # The {eval} results arrive after the cells: wait until every value shows.
            try:
                page.wait_for_function(
                    VALUES_SHOWN_JS, arg=list(values.values()), timeout=RENDER_S * 1000
                )
            except PlaywrightTimeout:
                pass  # the assertions below say which values are missing
        text = page.evaluate(PROSE_JS, True)
        prose = page.evaluate(PROSE_JS, False)
        typeset = page.evaluate(MATH_JS, ".katex")  # jupyterlab-myst typesets with KaTeX
        displayed = page.evaluate(MATH_JS, ".katex-display")
        _screenshots(page, CHAPTER)
    finally:
        context.close()
    print(f"{CHAPTER}: all cells ran in {ran_s:.0f} s")

    assert not blocked, f"requests tried to leave the machine: {blocked}"
    failed = {cell["source"]: cell["error"] for cell in code_cells if cell["error"]}
    assert not failed, f"cells with an error output: {failed}"
    not_run = [cell["source"] for cell in shown if not cell["ran"]]
    assert not not_run, f"cells that did not run: {not_run}"
    assert executed == str(len(code_cells)), (
        f"the kernel ran {executed} cells of the chapter's {len(code_cells)}"
    )
    collapsed = sum(cell["collapsed"] for cell in code_cells)
    assert collapsed == source.count("source_hidden: true"), (
        f"{collapsed} collapsed code cells; the chapter hides {source.count('source_hidden: true')}"
    )
    assert not page_errors, f"uncaught errors in the page: {page_errors}"
    missing = {name: value for name, value in values.items() if value not in text}
    assert not missing, f"{{eval}} values not shown in the prose: {missing}"
    unevaluated = [name for name in names if name in text]
    assert not unevaluated, f"{{eval}} roles shown unevaluated: {unevaluated}"
    assert typeset > 0, "no typeset math in the Markdown cells"
    assert displayed >= math_blocks, (
        f"{math_blocks} {{math}} blocks in the chapter, {displayed} typeset as display math"
    )
    for raw in ("$$", "\\[", "\\(", "\\begin{"):
        assert raw not in prose, f"raw TeX {raw!r} left untypeset in the prose"
