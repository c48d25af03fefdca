"""A warm kernel: one Python kernel per render job, reused from notebook to notebook.

A new kernel per notebook pays for itself every time: the interpreter, then pandas, statsmodels,
matplotlib and ``helpers`` imported again (several seconds per report, most of a report's time).
``WarmKernel`` starts one kernel and keeps it. At its start it imports ahead the modules the
notebooks will import (``preload``), while this process does something else. Before each notebook
it clears what a notebook leaves behind (``_RESET``): the user namespace and output caches, the
execution count (back to 1, as in a new kernel), open figures, the working folder, and the
"already shown" registries of ``warnings`` (a warning shown in the first report would otherwise be
missing from the second). Imported modules stay: that is the point. Module state that a notebook
sets is reset by the notebook itself (``helpers.present.notebook.style`` restarts the table and
figure numbers and sets the language); ``tests/test_warm_kernel.py`` checks that a report rendered
in a warm kernel after reports of other regions and languages equals one rendered in a new kernel.

A kernel whose notebook failed, that died, or that does not come back clean from the reset is
replaced before the next notebook: whatever half-set state a failure left cannot reach another
report.

The kernel talks over local IPC sockets in a private temporary folder, not TCP: nothing listens
on a port, and ipykernel has no reason to warn about unencrypted TCP. It is shut down with a
shutdown request and no interrupt first (jupyter_client's ``shutdown_kernel`` sends SIGINT,
which ipykernel reports as "KeyboardInterrupt caught in kernel" when it is busy answering).

``KernelPool`` runs tasks on ``jobs`` threads, each with its own ``WarmKernel``; papermill runs the
notebooks in them through ``helpers.render.engine``. Nothing here imports papermill, so the
kernels boot while this process imports it.
"""

from __future__ import annotations

import queue
import shutil
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

KERNEL_NAME = "python3"
START_TIMEOUT = 60.0  # seconds for a new kernel to answer
RESET_TIMEOUT = 60.0  # seconds for the reset between two notebooks
SHUTDOWN_WAIT = 5.0  # seconds a kernel may take to exit after the shutdown request before it is killed

# Runs in the kernel before each notebook (silent: no output, no history, no execution count).
# ``reset(new_session=True)`` clears the namespace, Out/_ caches and sets the execution count to 1.
# Entering ``catch_warnings`` marks the warning filters as changed, so every module's
# "already warned" registry is forgotten; ``onceregistry`` holds the "once" ones.
_RESET = """
def _asn_reset(cwd):
    import gc, os, sys, warnings
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    get_ipython().reset(new_session=True)
    os.chdir(cwd)
    with warnings.catch_warnings():
        pass
    warnings.onceregistry.clear()
    gc.collect()
_asn_reset({cwd!r})
"""


# Sent once a kernel is up, without waiting: the notebooks' heavy imports, done while this process
# does something else. A module that fails to import fails again, visibly, in the notebook.
_PRELOAD = """
def _asn_preload(names):
    import importlib
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:
            pass
_asn_preload({names!r})
"""


class KernelResetError(RuntimeError):
    """The kernel did not come back clean from the reset between two notebooks."""


class WarmKernel:
    """One kernel kept alive across the notebooks of one render worker.

    Use it from one thread only: its client lives on that thread's event loop (the loop papermill
    and nbclient run on). Starts at ``start`` or at the first notebook; ``close`` shuts it down.

    Parameters
    ----------
    cwd : Path
        The kernel's working folder, restored before every notebook (the notebooks' folder).
    kernel_name : str
        The Jupyter kernel spec (``python3``, as the notebooks declare).
    preload : tuple of str
        Modules the kernel imports as soon as it is up (those the notebooks import).
    """

    def __init__(self, cwd: Path | str, kernel_name: str = KERNEL_NAME, preload: tuple[str, ...] = ()):
        self.cwd = str(cwd)
        self.kernel_name = kernel_name
        self.preload = tuple(preload)
        self.km: AsyncKernelManager | None = None
        self.kc = None
        self.starts = 0  # kernels started so far (1 unless one failed or died)
        self.notebooks = 0  # notebooks run in the current kernel
        self._used = False  # code ran since the kernel started or was reset
        self._stale = False
        self._folder: Path | None = None

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def retire(self) -> None:
        """Replace the kernel before the next notebook (its notebook failed: its state is suspect)."""
        self._stale = True

    def start(self) -> None:
        """Start the kernel now, if it is not running (it starts at the first notebook otherwise)."""
        if self.km is None:
            try:
                run_sync(self._start)()
            except BaseException:
                self.close()  # a half-started kernel is not kept
                raise

    def prepare(self) -> None:
        """Make the kernel ready for a new notebook: start it, or replace it when it died, was
        retired or does not come back clean from the reset; else clear what ran before."""
        if self.km is not None and (self._stale or not run_sync(self._alive)()):
            self.close()
        if self.km is not None and self._used:
            try:
                run_sync(self._reset)()
            except (KernelResetError, queue.Empty):  # an error, or no answer within RESET_TIMEOUT
                self.close()
        self.start()
        self._used = True
        self.notebooks += 1

    def close(self) -> None:
        """Shut the kernel down (a shutdown request, then a kill if it does not exit in time)."""
        if self.km is not None:
            try:
                run_sync(self._shutdown)()
            finally:
                self.km = self.kc = None
                self.notebooks = 0
                self._used = self._stale = False
                if self._folder is not None:
                    shutil.rmtree(self._folder, ignore_errors=True)
                    self._folder = None

    async def _alive(self) -> bool:
        return bool(await self.km.is_alive())

    async def _start(self) -> None:
        # A private folder for the connection file and the IPC sockets: short paths (a Unix socket
        # path has ~100 characters), and only this user can reach them.
        self._folder = Path(tempfile.mkdtemp(prefix="asn-kernel-"))
        km = AsyncKernelManager(
            kernel_name=self.kernel_name,
            transport="ipc",
            ip=str(self._folder / "k"),
            connection_file=str(self._folder / "kernel.json"),
        )
        self.km = km
        # nbclient's default for the kernels it starts: no history file shared between kernels.
        await km.start_kernel(cwd=self.cwd, extra_arguments=["--HistoryManager.hist_file=:memory:"])
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=START_TIMEOUT)
        except Exception:
            kc.stop_channels()
            raise
        kc.allow_stdin = False
        self.kc = kc
        self.starts += 1
        self.notebooks = 0
        self._used = False
        if self.preload:  # not awaited: the reset before the first notebook waits for it
            kc.execute(_PRELOAD.format(names=list(self.preload)), silent=True, store_history=False)
            self._used = True

    async def _reset(self) -> None:
        msg_id = self.kc.execute(_RESET.format(cwd=self.cwd), silent=True, store_history=False)
        while True:
            reply = await self.kc.get_shell_msg(timeout=RESET_TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise KernelResetError(f"{content.get('ename', 'error')}: {content.get('evalue', '')}")

    async def _shutdown(self) -> None:
        km, kc = self.km, self.kc
        try:
            if kc is not None:
                kc.stop_channels()
            if await km.is_alive():
                await km.request_shutdown()
                await km.finish_shutdown(waittime=SHUTDOWN_WAIT)
        finally:
            await km.cleanup_resources()


class KernelPool:
    """``jobs`` worker threads, each running its tasks in its own ``WarmKernel``.

    ``submit(fn, *args)`` calls ``fn(*args, kernel=<the worker's WarmKernel>)`` on a free worker
    and returns a ``Future``. Each worker starts its kernel at once (with ``preload``) and shuts
    it down after ``release`` or ``close``.
    """

    def __init__(self, jobs: int, cwd: Path | str, preload: tuple[str, ...] = ()):
        self.cwd = cwd
        self.preload = preload
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._futures: list[Future] = []
        self._released = False
        self._threads = [
            threading.Thread(target=self._work, name=f"asn-render-{i + 1}", daemon=True) for i in range(max(1, jobs))
        ]
        for t in self._threads:
            t.start()

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(cancel=exc_type is not None)

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        self._futures.append(future)
        self._tasks.put((future, fn, args, kwargs))
        return future

    def release(self) -> None:
        """No more tasks: each worker shuts its kernel down once its tasks are done (no waiting)."""
        if not self._released:
            self._released = True
            for _ in self._threads:
                self._tasks.put(None)

    def close(self, cancel: bool = False) -> None:
        """Let every worker finish its task (``cancel``: drop the tasks not started, e.g. after
        Ctrl-C), then shut its kernel down, and wait for that."""
        if cancel:
            for future in self._futures:
                future.cancel()  # only a task that has not started can be cancelled
        self.release()
        for t in self._threads:
            t.join()

    def _work(self) -> None:
        kernel = WarmKernel(self.cwd, preload=self.preload)
        try:
            kernel.start()
        except Exception:  # noqa: BLE001 - the first notebook tries again, and reports the failure
            pass
        try:
            while (task := self._tasks.get()) is not None:
                future, fn, args, kwargs = task
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(*args, kernel=kernel, **kwargs))
                except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                    future.set_exception(exc)
        finally:
            try:
                kernel.close()
            except Exception:  # noqa: BLE001 - the reports are written; a kernel slow to exit was killed
                pass
