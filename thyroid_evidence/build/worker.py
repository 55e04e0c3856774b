"""Execute one run: papermill into a staging folder, then the notebook's HTML (nbconvert).

Runs are executed from threads of the build process (papermill and nbconvert imported once).
Every kernel is started here, with the public ``start_kernel`` arguments of jupyter_client
(the run's environment, working directory and log file), and handed to papermill's own
``nbclient`` engine (``km=``), so nothing process-wide (``os.environ``, the current directory)
changes. Public APIs only: the kernel manager's clients are a subclass (:class:`RunClient`,
through the manager's ``client_factory``) whose ``wait_for_ready`` skips a fixed 0.2 s wait.
Not imported by a no-op build.

With a :class:`KernelPool`, each worker thread keeps one kernel alive across its runs (the kernel
start and the imports of the scientific stack are paid once per worker, not once per run). Before
every run the kernel is brought back to the state of a fresh kernel as far as the outputs can tell:
user namespace and ``In``/``Out`` history cleared, execution count back to 1, figures closed and
matplotlib's rcParams back to those of a fresh import, pandas' options back to their defaults,
warning registries cleared; environment and working directory those of the run. What is alive after
that reset (modules, their caches) is frozen out of later garbage collections (``gc.freeze``), so
that each run's collections walk its own objects only. A run that fails or times out takes its
kernel with it: the worker's next run starts a new one. State a notebook leaves elsewhere (other
libraries' global options, monkey-patches, module caches) is not reset. A kept kernel's own output
(what it writes outside the cells, such as a crash report) goes to the log of the run, or the
prestart, that launched it.

:meth:`KernelPool.prestart` starts the workers' kernels (and their imports) in the background
while the build process is still checking parameters, so that no run waits for a kernel.
"""

from __future__ import annotations

import ast
import concurrent.futures as cf
import dataclasses
import json
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client import protocol_version_info
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_async, run_sync

from thyroid_evidence.files import atomic_write_text

_EXPORTER: Any = None
_HTML_LOCK = threading.Lock()
#: Every kernel started and not yet shut down, for :func:`kill_kernels`.
_LIVE: set[AsyncKernelManager] = set()
_LIVE_LOCK = threading.Lock()


@dataclass(frozen=True)
class RunTask:
    """Everything a worker needs to execute one run (picklable)."""

    run_id: str
    input_path: str
    staging_dir: str
    final_notebook: str
    parameters: dict[str, Any]
    cwd: str
    #: Complete environment of the kernel.
    env: dict[str, str] = field(default_factory=dict)
    #: File that receives the kernel's own stdout/stderr (warnings, crashes).
    log_path: str | None = None
    start_timeout: int = 120
    execution_timeout: int | None = None
    #: Seconds the whole run may take once its kernel is ready (None: no limit).
    run_timeout: float | None = None


@dataclass(frozen=True)
class RunFailure:
    """Where and how a run failed."""

    ename: str
    evalue: str
    cell_index: int | None = None
    exec_count: int | None = None
    source_line: str = ""
    #: The notebook had started running (its kernel was ready) when it failed.
    started: bool = False

    def describe(self) -> str:
        """One line: cell, first source line, error."""
        where = ("in a cell its saved notebook does not record" if self.started
                 else "before any cell ran")
        if self.cell_index is not None:
            where = f"cell {self.cell_index}"
            if self.exec_count is not None:
                where += f" (In [{self.exec_count}])"
            if self.source_line:
                where += f" `{self.source_line}`"
        evalue = self.evalue.strip().splitlines()
        first = evalue[0] if evalue else ""
        more = f" (+{len(evalue) - 1} more lines)" if len(evalue) > 1 else ""
        return f"{where}: {self.ename}: {first}{more}"


@dataclass(frozen=True)
class RunResult:
    """Outcome of one run."""

    run_id: str
    ok: bool
    seconds: float
    failure: RunFailure | None = None
    #: The executed notebook of a run whose pages are still to be written (see
    #: :func:`execute_task`'s ``pages``); None otherwise.
    notebook: Any = field(default=None, repr=False, compare=False)


class RunClient(AsyncKernelClient):
    """jupyter_client's asynchronous client, ready without a closing 0.2 s IOPub flush.

    :meth:`wait_for_ready` (what nbclient calls before the first cell) returns once a
    ``kernel_info`` request of this client is answered on the shell channel and its busy/idle
    status has arrived on IOPub: the subscription is then live, so no output of the first cell
    can be missed. jupyter_client's own version then also waits until IOPub has been quiet for
    0.2 s, once per run; messages of other requests are ignored by nbclient anyway.
    """

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel answers on shell and this client receives its IOPub."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while time.monotonic() < deadline:
            msg_id = self.kernel_info()
            try:
                while True:
                    reply = await ensure_async(self.shell_channel.get_msg(timeout=1.0))
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
                while True:  # this request's busy/idle status: the subscription is live
                    status = await ensure_async(self.iopub_channel.get_msg(timeout=0.5))
                    if status["parent_header"].get("msg_id") == msg_id:
                        break
            except queue.Empty:
                if not await ensure_async(self.is_alive()):
                    raise RuntimeError("the kernel died before the run started") from None
                continue
            # as jupyter_client does: talk an older kernel's message protocol
            major = int(reply["content"]["protocol_version"].split(".")[0])
            if major != protocol_version_info[0]:
                self.session.adapt_version = major
            return
        raise RuntimeError(f"the kernel did not answer within {timeout:g} s")


class _KernelManager(AsyncKernelManager):
    """A kernel manager whose clients are :class:`RunClient` and are closed after each run.

    nbclient neither shuts down a kernel it was given (``km=``) nor, then, closes the channels
    of the client it made for it (``km.client()``): they are closed here, so that they do not
    pile up over the runs of a kept kernel.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(client_factory=RunClient, **kwargs)
        self.run_clients: list[Any] = []

    def client(self, **kwargs: Any) -> Any:
        """The manager's client (as made by jupyter_client), remembered until the run ends."""
        client = super().client(**kwargs)
        self.run_clients.append(client)
        return client

    def close_clients(self) -> None:
        """Stop the channels of every client made since the last call."""
        while self.run_clients:
            self.run_clients.pop().stop_channels()


#: What nbclient passes to a kernel it starts itself (no history file on disk).
_KERNEL_ARGS = ("--HistoryManager.hist_file=:memory:",)

#: Run in a kept kernel before each run (silently, outside the history); see the module doc.
_PREPARE = r"""
def _thyroid_evidence_prepare(env_set, env_unset, cwd):
    import os
    import sys

    shell = get_ipython()
    base = getattr(shell, "_thyroid_evidence_base_env", None)
    if base is None:  # first run in this kernel: its environment as launched
        base = shell._thyroid_evidence_base_env = dict(os.environ)
    os.environ.clear()
    os.environ.update(base)
    for name in env_unset:
        os.environ.pop(name, None)
    os.environ.update(env_set)
    os.chdir(cwd)
    shell.reset(new_session=True)  # user namespace, In/Out, execution count
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib
        import matplotlib.pyplot as plt

        plt.close("all")
        matplotlib.rc_file_defaults()  # rcParams as imported (the backend is kept)
        inline = sys.modules.get("matplotlib_inline.config")
        if inline is not None and inline.InlineBackend.initialized():
            matplotlib.rcParams.update(inline.InlineBackend.instance().rc)
    if "pandas" in sys.modules:  # display options (a notebook may set them)
        import warnings

        import pandas

        with warnings.catch_warnings():  # deprecated options warn when reset
            warnings.simplefilter("ignore")
            pandas.reset_option("all")
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    # The last run's objects are garbage now (IPython's reset collects before it clears the
    # namespace): collected here, then what is still alive (imported modules, their caches)
    # is frozen out of later collections, so that this one and the next reset's walk the
    # objects of one run, not the whole scientific stack again (0.2 s -> 0.03 s per run).
    # Nothing a notebook computes depends on it.
    import gc

    gc.collect()
    gc.freeze()

_thyroid_evidence_prepare(%s)
"""

#: Run in a kernel once its warm-up imports are done (see ``gc.freeze`` in :data:`_PREPARE`).
_AFTER_WARM_UP = "import gc as _gc; _gc.freeze(); del _gc"


@dataclass
class _KeptKernel:
    manager: _KernelManager
    kernel_name: str
    #: The environment the kernel was launched with.
    launch_env: dict[str, str]


def notebook_kernel_name(path: str) -> str:
    """The kernel spec a notebook asks for (``python3`` when it names none)."""
    with open(path, encoding="utf-8") as handle:
        metadata = json.load(handle).get("metadata", {})
    return str(metadata.get("kernelspec", {}).get("name") or "python3")


class KernelPool:
    """One kernel per worker thread, kept alive across that thread's runs.

    :meth:`acquire` gives the calling thread's kernel, ready for a run (started on first use,
    else reset); :meth:`discard` shuts it down (after a failure); :meth:`close` shuts all down.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._kernels: set[AsyncKernelManager] = set()
        #: Every kernel :meth:`prestart` started, as (kernel name, future); kept until close.
        self._spares: list[tuple[str, cf.Future[_KeptKernel]]] = []
        #: Those not handed out yet.
        self._available: list[tuple[str, cf.Future[_KeptKernel]]] = []
        self._stopped = threading.Event()

    def prestart(
        self,
        count: int,
        kernel_name: str,
        env: dict[str, str],
        cwd: str,
        log_path: str | None = None,
        warm_imports: Sequence[str] = (),
        timeout: float = 120,
    ) -> None:
        """Start ``count`` kernels in the background; :meth:`acquire` hands them out.

        Parameters
        ----------
        count : int
            Kernels to start (one per worker that will ask for one).
        kernel_name : str
            Kernel spec; a spare is handed out only for a notebook of that kernel.
        env : dict
            Environment the kernels are launched with (each run's differences are applied by
            the reset before it, as for any kept kernel).
        cwd : str
            Working directory at launch.
        log_path : str, optional
            File for the kernels' own stdout/stderr (what they write outside the cells).
        warm_imports : sequence of str
            Import statements run (silently, one by one) in each kernel once it is up, e.g.
            the notebooks' (see :func:`import_statements`); a failing one is skipped: the run
            that needs it reports the error.
        timeout : float
            Seconds to wait for each kernel to answer.
        """
        if count < 1:
            return
        starter = cf.ThreadPoolExecutor(max_workers=count, thread_name_prefix="kernel-start")
        with self._lock:
            for _ in range(count):
                entry = (kernel_name, starter.submit(
                    self._start_spare, kernel_name, env, cwd, log_path, tuple(warm_imports),
                    timeout))
                self._spares.append(entry)
                self._available.append(entry)
        starter.shutdown(wait=False)

    def stop(self) -> None:
        """Start no more kernels and hand none out (the build is being interrupted)."""
        self._stopped.set()

    def _start_spare(self, kernel_name: str, env: dict[str, str], cwd: str,
                     log_path: str | None, warm_imports: tuple[str, ...],
                     timeout: float) -> _KeptKernel:
        if self._stopped.is_set():
            raise RuntimeError("the build was interrupted")
        manager = self._launch(kernel_name, env, cwd, log_path)
        for statement in warm_imports:
            if self._stopped.is_set():
                break
            try:
                _run_silently(manager, statement, timeout, what="warm up")
            except Exception:  # noqa: BLE001, S112 - the run that imports it reports the error
                continue
        if warm_imports and not self._stopped.is_set():
            try:
                _run_silently(manager, _AFTER_WARM_UP, timeout, what="warm up")
            except Exception:  # noqa: BLE001, S110 - the reset before the run freezes too
                pass
        return _KeptKernel(manager, kernel_name, dict(env))

    def _take_spare(self, kernel_name: str) -> _KeptKernel | None:
        """A prestarted kernel of ``kernel_name`` for the calling thread, if one is left."""
        with self._lock:
            entry = next((e for e in self._available if e[0] == kernel_name), None)
            if entry is not None:
                self._available.remove(entry)
        if entry is None:
            return None
        try:
            kept = entry[1].result()
        except Exception:  # noqa: BLE001 - it failed to start: start one the usual way
            return None
        if self._stopped.is_set() or not run_sync(kept.manager.is_alive)():
            self._shutdown(kept.manager)
            return None
        self._local.kernel = kept
        return kept

    def acquire(self, task: RunTask) -> _KernelManager:
        """The calling thread's kernel, prepared for ``task``; raises when it cannot be."""
        if self._stopped.is_set():
            raise RuntimeError("the build was interrupted")
        kernel_name = notebook_kernel_name(task.input_path)
        kept: _KeptKernel | None = getattr(self._local, "kernel", None)
        if kept is not None and (kept.kernel_name != kernel_name
                                 or not run_sync(kept.manager.is_alive)()):
            self.discard()
            kept = None
        if kept is not None:
            try:
                self._prepare(kept, task)
                return kept.manager
            except Exception:  # a kernel that cannot be reset is not trusted: start anew
                self.discard()
        kept = self._take_spare(kernel_name)
        if kept is None:
            if self._stopped.is_set():
                raise RuntimeError("the build was interrupted")
            kept = self._start(task, kernel_name)
        try:
            self._prepare(kept, task)
        except Exception:
            self.discard()
            raise
        return kept.manager

    def discard(self) -> None:
        """Shut down the calling thread's kernel (if any)."""
        kept: _KeptKernel | None = getattr(self._local, "kernel", None)
        self._local.kernel = None
        if kept is not None:
            self._shutdown(kept.manager)

    def close(self) -> None:
        """Shut down every kernel of the pool, spares included (the worker threads must be
        done); the pool hands out no kernel afterwards."""
        self._stopped.set()  # spares still warming up stop after their current import
        for _, future in self._spares:  # wait for those still starting: none is left behind
            try:
                future.result()
            except Exception:  # noqa: BLE001, S110 - nothing to shut down
                pass
        with self._lock:
            self._available.clear()
            managers = list(self._kernels)
        for manager in managers:
            self._shutdown(manager)

    def _launch(self, kernel_name: str, env: dict[str, str], cwd: str,
                log_path: str | None) -> _KernelManager:
        manager = _KernelManager(kernel_name=kernel_name)
        with self._lock:
            self._kernels.add(manager)
        _start_kernel(manager, env, cwd, log_path)
        return manager

    def _start(self, task: RunTask, kernel_name: str) -> _KeptKernel:
        kept = _KeptKernel(_KernelManager(kernel_name=kernel_name), kernel_name, dict(task.env))
        with self._lock:
            self._kernels.add(kept.manager)
        self._local.kernel = kept
        _start_kernel(kept.manager, task.env, task.cwd, task.log_path)
        return kept

    def _prepare(self, kept: _KeptKernel, task: RunTask) -> None:
        env_set = {k: v for k, v in task.env.items() if kept.launch_env.get(k) != v}
        env_unset = sorted(k for k in kept.launch_env if k not in task.env)
        args = ", ".join(repr(a) for a in (env_set, env_unset, task.cwd))
        _run_silently(kept.manager, _PREPARE % args, timeout=task.start_timeout)

    def _shutdown(self, manager: AsyncKernelManager) -> None:
        with self._lock:
            self._kernels.discard(manager)
        _shutdown_kernel(manager)


def _start_kernel(manager: _KernelManager, env: dict[str, str], cwd: str,
                  log_path: str | None) -> None:
    """Launch the kernel of ``manager`` with this environment, working folder and log file."""
    with _LIVE_LOCK:
        _LIVE.add(manager)
    launch: dict[str, Any] = {"env": dict(env), "cwd": cwd,
                              "extra_arguments": list(_KERNEL_ARGS)}
    if log_path is None:
        run_sync(manager.start_kernel)(**launch)
        return
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:  # the kernel keeps its own copy of the descriptor
        run_sync(manager.start_kernel)(**launch, stdout=log, stderr=log)


def _shutdown_kernel(manager: AsyncKernelManager) -> None:
    """Shut the kernel down now (killed when it does not answer)."""
    with _LIVE_LOCK:
        _LIVE.discard(manager)
    try:
        run_sync(manager.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - a kernel that cannot be asked is killed
        process = getattr(manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()


def _run_silently(manager: AsyncKernelManager, code: str, timeout: float,
                  what: str = "reset") -> None:
    """Execute ``code`` in the kernel of ``manager`` (silent, not in the history)."""
    from jupyter_client.blocking import BlockingKernelClient

    # As the manager makes its own clients: sharing its session (and so its signing key).
    client = BlockingKernelClient(**manager.get_connection_info(session=True),
                                  connection_file=manager.connection_file, parent=manager)
    # The shell channel only: no heartbeat thread, which (for a client this short-lived) could
    # try to open its socket after stop_channels has destroyed the client's zmq context.
    client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
    try:
        # No wait_for_ready: only the shell reply is read here (zmq queues a request sent
        # before the connection is up), and its closing IOPub flush always waits 0.2 s.
        msg_id = client.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"could not {what} the kernel: no answer in {timeout:g} s")
            try:
                reply = client.get_shell_msg(timeout=min(remaining, 1.0))
            except queue.Empty:
                if not run_sync(manager.is_alive)():
                    raise RuntimeError(f"could not {what} the kernel: it died") from None
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                break
    finally:
        client.stop_channels()
    content = reply["content"]
    if content.get("status") != "ok":
        raise RuntimeError(
            f"could not {what} the kernel: {content.get('ename')}: {content.get('evalue')}"
        )


def import_statements(notebook_path: str | Path) -> list[str]:
    """The top-level ``import`` statements of the code cells above the ``parameters`` cell.

    What :meth:`KernelPool.prestart` runs to warm a kernel up: imports only (never other code
    of a notebook), in notebook order; a cell that does not parse is skipped.
    """
    try:
        cells = json.loads(Path(notebook_path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return []
    found: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            break
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        try:
            body = ast.parse(source).body
        except SyntaxError:
            continue
        found += [ast.unparse(node) for node in body
                  if isinstance(node, ast.Import)
                  or (isinstance(node, ast.ImportFrom) and node.module != "__future__")]
    return found


def _timeout_text(seconds: float | None) -> str:
    return f"the run took longer than its time limit (--timeout {seconds:g} s) and was stopped"


def kill_kernels() -> int:
    """Kill every kernel still running (on interrupt); returns how many were killed."""
    with _LIVE_LOCK:
        managers = list(_LIVE)
    killed = 0
    for manager in managers:
        process = getattr(manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            killed += 1
    return killed


#: The executed notebook's page: nbconvert's "lab" page without scripts from the network.
NOTEBOOK_TEMPLATE = "notebook.html.j2"


def html_exporter() -> Any:
    """nbconvert's HTML exporter as the build uses it: the "lab" page, opened offline.

    :data:`NOTEBOOK_TEMPLATE` (in ``build/templates``) drops require.js, MathJax, Mermaid and
    the widget manager, which nbconvert loads from a CDN. Evidence text in the outputs is
    escaped by the notebooks themselves (:mod:`thyroid_evidence.notebook.display`); nbconvert's
    own ``sanitize_html`` is not used: it escapes the page's own Markdown cells as text.
    """
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="lab", template_file=NOTEBOOK_TEMPLATE,
                        extra_template_paths=[str(Path(__file__).with_name("templates"))])


def _html(nb: Any, name: str) -> str:
    with _HTML_LOCK:  # one exporter, made once (loading its templates costs half a second)
        global _EXPORTER
        if _EXPORTER is None:
            _EXPORTER = html_exporter()
        body, _ = _EXPORTER.from_notebook_node(nb, resources={"metadata": {"name": name}})
    return body


def stable_cell_ids(nb: Any, input_path: str, run_id: str) -> None:
    """Give every cell that has no id of its own in the input notebook a deterministic one.

    papermill's injected-parameters cell (and every cell of a notebook saved without ids) gets
    a random id; this one is a hash of the run id and the cell's position, so the executed
    notebooks of two builds from the same inputs differ only in their timestamps.
    """
    import hashlib

    try:
        cells = json.loads(Path(input_path).read_text(encoding="utf-8")).get("cells", [])
        own = {c.get("id") for c in cells if isinstance(c, dict) and c.get("id")}
    except (OSError, ValueError, AttributeError):
        own = set()
    used = set()
    for index, cell in enumerate(nb.cells):
        if cell.get("id") in own and cell.get("id") not in used:
            used.add(cell["id"])
            continue
        cell["id"] = hashlib.sha256(f"{run_id}:{index}".encode()).hexdigest()[:12]
        used.add(cell["id"])


def _last_started_cell(staged_nb: Path) -> tuple[int | None, int | None, str]:
    """The cell a run was in when it stopped: the last one papermill marked as started.

    papermill records a ``start_time`` in the metadata of every cell it starts; the notebook
    is saved when the run ends, however it ends (a cell error: by papermill; a kernel death or
    a kill at the time limit: by :class:`_LiveNotebook`).
    """
    try:
        cells = json.loads(staged_nb.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return None, None, ""
    found: tuple[int | None, int | None, str] = (None, None, "")
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            continue
        if (cell.get("metadata", {}).get("papermill", {}) or {}).get("start_time"):
            source = cell.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            line = next((ln.strip() for ln in source.splitlines() if ln.strip()), "")
            found = (index, cell.get("execution_count"), line[:80])
    return found


def _readable(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return True


class _Watchdog:
    """Stops a run that exceeds its time limit: interrupts the kernel, kills it if need be.

    An interrupt ends most cells at once (the notebook records a KeyboardInterrupt in the cell
    that was running); a kernel that does not react within :attr:`GRACE` seconds is killed.
    """

    GRACE = 10.0

    def __init__(self, manager: AsyncKernelManager, seconds: float | None) -> None:
        self.manager = manager
        self.fired = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        if seconds is not None:
            self._thread = threading.Thread(target=self._watch, args=(seconds,), daemon=True,
                                            name="run-timeout")
            self._thread.start()

    def _watch(self, seconds: float) -> None:
        if self._done.wait(seconds):
            return
        self.fired.set()
        try:
            run_sync(self.manager.interrupt_kernel)()
        except Exception:  # noqa: BLE001, S110 - killed below
            pass
        if self._done.wait(self.GRACE):
            return
        process = getattr(self.manager.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()

    def stop(self) -> None:
        self._done.set()


class _LiveNotebook:
    """An nbclient ``on_notebook_start`` hook keeping the notebook being executed.

    nbclient calls it once the kernel client is up, with the very notebook object papermill
    executes (its cells fill in as they run). A run that ends in a kernel death or a kill at
    the time limit writes it with :meth:`save`: the notebook as far as it ran, with one write
    per run, where papermill's ``request_save_on_cell_execute`` writes the whole notebook
    (figures included) at the start and at the end of every cell.
    """

    def __init__(self) -> None:
        self.notebook: Any = None

    def __call__(self, notebook: Any = None, **_: Any) -> None:
        self.notebook = notebook

    def save(self, path: Path) -> None:
        """Write the notebook to ``path`` (nothing when there is none or it cannot be)."""
        if self.notebook is None:
            return
        try:
            atomic_write_text(path, nbformat.writes(self.notebook) + "\n")
        except Exception:  # noqa: BLE001, S110 - the failure report says it was not kept
            pass


def execute_task(task: RunTask, pool: KernelPool | None = None, *,
                 pages: bool = True) -> RunResult:
    """Run ``task``; never raises for a failing notebook (the failure is in the result).

    With ``pool`` the run uses (and, after a failure, discards) the calling thread's kept
    kernel; without, it starts a kernel of its own and shuts it down. A run that takes more
    than ``task.run_timeout`` seconds (from its kernel being ready) is stopped and fails,
    naming the cell it was in.

    With ``pages=False`` a run that succeeds returns with its executed notebook in
    ``result.notebook`` and its pages (HTML copy, slides, handout) not yet written: the
    caller passes it to :func:`write_pages`, e.g. on another thread, so that the kernel
    takes its next run meanwhile.
    """
    start = time.perf_counter()
    staged_nb = Path(task.staging_dir) / "notebooks" / f"{task.run_id}.ipynb"
    staged_nb.parent.mkdir(parents=True, exist_ok=True)
    manager: _KernelManager | None = None
    watchdog: _Watchdog | None = None
    started = False
    live = _LiveNotebook()
    try:
        if pool is not None:
            manager = pool.acquire(task)
        else:
            manager = _KernelManager(kernel_name=notebook_kernel_name(task.input_path))
            _start_kernel(manager, task.env, task.cwd, task.log_path)
        watchdog = _Watchdog(manager, task.run_timeout)
        started = True
        nb = papermill.execute_notebook(
            task.input_path,
            str(staged_nb),
            parameters=task.parameters,
            progress_bar=False,
            # saved once, when the execution ends however it ends (a kernel that dies or is
            # stopped at the time limit leaves the notebook as far as it ran; read back
            # before it is kept), not at the start and end of every cell
            request_save_on_cell_execute=False,
            on_notebook_start=live,
            start_timeout=task.start_timeout,
            execution_timeout=task.execution_timeout,
            km=manager,  # papermill's nbclient engine runs the notebook in this kernel
        )
    except papermill.PapermillExecutionError as exc:
        if pool is not None:
            pool.discard()
        source = next((ln.strip() for ln in str(exc.source).splitlines() if ln.strip()), "")
        failure = RunFailure(
            ename=str(exc.ename),
            evalue=str(exc.evalue),
            cell_index=exc.cell_index,
            exec_count=exc.exec_count,
            source_line=source[:80],
        )
        if watchdog is not None and watchdog.fired.is_set():
            failure = dataclasses.replace(failure, ename="Timeout",
                                          evalue=_timeout_text(task.run_timeout))
        return RunResult(run_id=task.run_id, ok=False, seconds=time.perf_counter() - start,
                         failure=failure)
    except Exception as exc:  # kernel died, notebook unreadable, timeout: report, don't crash
        if pool is not None:
            pool.discard()
        # a kernel that died (or was stopped at the time limit) after cells ran: name the cell
        # it was in (the notebook as far as it ran is saved first)
        live.save(staged_nb)
        index, count, line = _last_started_cell(staged_nb)
        timed_out = watchdog is not None and watchdog.fired.is_set()
        failure = RunFailure(
            ename="Timeout" if timed_out else type(exc).__name__,
            evalue=_timeout_text(task.run_timeout) if timed_out else str(exc),
            cell_index=index, exec_count=count, source_line=line,
            # cells may have run that no saved notebook shows (papermill could not save it)
            started=started and index is None and not _readable(staged_nb),
        )
        return RunResult(run_id=task.run_id, ok=False, seconds=time.perf_counter() - start,
                         failure=failure)
    finally:
        if watchdog is not None:
            watchdog.stop()
        if manager is not None:
            manager.close_clients()
            if pool is None:
                _shutdown_kernel(manager)
    # The executed notebook keeps papermill's metadata; point output_path at its final place.
    nb.metadata.papermill["output_path"] = task.final_notebook
    stable_cell_ids(nb, task.input_path, task.run_id)
    if watchdog is not None and watchdog.fired.is_set():  # finished just as the time ran out
        if pool is not None:
            pool.discard()  # it may have been interrupted after its last cell
        return RunResult(run_id=task.run_id, ok=False, seconds=time.perf_counter() - start,
                         failure=RunFailure(ename="Timeout",
                                            evalue=_timeout_text(task.run_timeout)))
    atomic_write_text(staged_nb, nbformat.writes(nb) + "\n")
    result = RunResult(run_id=task.run_id, ok=True, seconds=time.perf_counter() - start,
                       notebook=nb)
    return write_pages(task, result) if pages else result


def write_pages(task: RunTask, result: RunResult) -> RunResult:
    """Write the pages of a run executed with ``pages=False``: the notebook's HTML copy and,
    for a teaching notebook, its offline slides and handout; returns the result without its
    notebook. Never raises: a page that cannot be written fails the run, named."""
    nb, run_id = result.notebook, task.run_id
    done = dataclasses.replace(result, notebook=None)
    if nb is None:
        return done
    staged_nb = Path(task.staging_dir) / "notebooks" / f"{run_id}.ipynb"
    try:
        atomic_write_text(staged_nb.with_suffix(".html"), _html(nb, run_id))
    except Exception as exc:  # noqa: BLE001 - reported as the run's failure
        return dataclasses.replace(done, ok=False, failure=RunFailure(
            ename=type(exc).__name__, evalue=f"its HTML page was not written: {exc}",
            cell_index=None, exec_count=None, source_line=""))
    from thyroid_evidence.build.teaching import has_answers, write_teaching_exports

    if has_answers(nb):  # a teaching notebook: its slides and handout, offline
        slides_dir = Path(task.staging_dir) / "report" / "slides"
        try:
            write_teaching_exports(nb, slides_dir, run_id)
        except Exception as exc:  # noqa: BLE001 - the run stands; the report shows why
            atomic_write_text(slides_dir / f"{run_id}.handout-problem.txt",
                              f"the slides and handout were not made: "
                              f"{type(exc).__name__}: {exc}\n")
    return done
