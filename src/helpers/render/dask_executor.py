"""Reports rendered as tasks on Dask distributed: ``asn-eval report --executor dask [--scheduler ADDRESS]``.

``helpers.render.runner.render_all`` still plans the run in the calling process: which reports
are up to date (build records), which must render and with which input digests. Each report to
render becomes one Dask task (``render_job``), and Dask decides which worker runs it. The worker
renders it with ``runner.render_planned``, the very code the local executor runs (papermill, the
page and PDF, the staging folder and the move into ``reports/<dataset>/``, the build record), so
an outcome means the same whichever executor made it. The summary is one more task, submitted
once the regions are done (it reads their metrics.json); the index pages are written by the
calling process, as with the local executor.

Where the cluster comes from (``DaskWorkers``):

- no scheduler: a ``distributed.LocalCluster`` of ``jobs`` worker processes with one thread each,
  started at the first report to render (none when everything is up to date) and closed at the
  end of the run;
- ``scheduler``: an existing cluster (``dask scheduler``, ``dask worker ADDRESS``), given by its
  address (``tcp://host:8786``) or its scheduler file; it stays up after the run.

The local cluster's worker processes are started by spawning, which imports the calling script
again: a script that calls ``render_all(executor="dask")`` guards its own work with
``if __name__ == "__main__":``, as ``asn-eval`` does.

A worker may run on another machine, from another folder, with another environment: a task
carries the project root (``ASN_EVAL_ROOT``) and all it needs as plain values, and the workers
must see the project at the same path (a shared file system) and run the same ``helpers``: the
workers of an external cluster are asked both when the run connects (``_check_workers``: a
``UsageError`` otherwise), and a report whose worker does not see the root fails.

Each worker process renders on one thread of its own (``_Lane``) and keeps one warm kernel
(``helpers.render.kernels.WarmKernel``) on it for the run, so the notebooks' imports are paid
once per worker, not once per report; the run shuts those kernels down at its end
(``_release``). A worker process renders one report at a time: give workers one thread each and
as many processes as reports should render at once (``dask worker ADDRESS --nworkers 2
--nthreads 1``).

Failures stay per report. A notebook or export that fails is that report's failed outcome, as
with the local executor (its message, its executed copy in ``failed/``). A worker process that
dies during a render (killed, out of memory) fails that report too (``WorkerDiedError``), and its
half-staged files are cleaned up: the local cluster gives up on a task at the first worker death
(``allowed-failures`` 0, one task per worker thread at a time), an external scheduler retries it
on other workers as its own ``distributed.scheduler.allowed-failures`` says (3 by default).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..errors import UsageError
from . import build, runner

if TYPE_CHECKING:
    from .kernels import WarmKernel

CONNECT_TIMEOUT = 15.0  # seconds to reach an external scheduler
WORKERS_TIMEOUT = 60.0  # seconds for an external cluster to have at least one worker
RELEASE_TIMEOUT = 30.0  # seconds the workers may take to shut their kernels down at the end of a run
# The local cluster's scheduler: a task whose worker died is not run again (it would most likely
# kill the next worker too), and a worker holds only the task it runs, so that a worker's death
# fails no task that was merely queued on it.
LOCAL_SCHEDULER_CONFIG = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.scheduler.worker-saturation": 1.0,
}


class WorkerDiedError(RuntimeError):
    """The Dask worker process rendering a report died before the report was done."""


class WorkerMismatchError(RuntimeError):
    """A Dask worker cannot render this run's reports: it does not see the project root."""


@dataclass(frozen=True)
class RenderJob:
    """One report to render on a worker, in plain values (the worker may be on another machine).

    ``run_id`` names the run (its warm kernels); ``root`` is the project root, a path the worker sees
    too; ``inputs`` are the digests ``render_all`` planned with, written as the build record.
    """

    run_id: str
    root: str
    dataset: str
    name: str  # region id, or "summary"
    lang: str
    inputs: dict


# ---------------------------------------------------------------------------------------------
# In the worker process


class _Lane:
    """The thread of a worker process on which all its reports render, with the run's warm kernel.

    One thread: a ``WarmKernel`` must be used from the thread that started it, and the project
    root (``ASN_EVAL_ROOT``, which ``helpers.paths`` and the kernel read from the environment) is
    set for one report at a time.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="asn-dask-render")
        self._kernel: tuple[str, WarmKernel] | None = None  # (run, its kernel); only touched on the thread

    def render(self, job: RenderJob) -> runner.RenderOutcome:
        return self._thread.submit(self._render, job).result()

    def release(self, run: str) -> Future:
        """Shut down ``run``'s kernel once the report rendering now is done."""
        return self._thread.submit(self._close, run)

    def _render(self, job: RenderJob) -> runner.RenderOutcome:
        before = os.environ.get(paths.ROOT_ENV)
        try:
            if not Path(job.root).is_dir():
                raise WorkerMismatchError(
                    f"the project root {job.root} is not a folder on this worker: Dask workers need the "
                    "project on a shared file system, at the same path"
                )
            os.environ[paths.ROOT_ENV] = job.root  # for helpers.paths, and the kernel started below
            kernel = self._kernel_for(job.run_id)  # its preload runs while this process loads the dataset
            return runner.render_planned(job.dataset, job.name, job.lang, job.inputs, kernel)
        except Exception as exc:  # noqa: BLE001 - one report's failure, as runner._bug reports it
            return runner.RenderOutcome(job.name, False, 0.0, error=f"{type(exc).__name__}: {exc}")
        finally:
            if before is None:
                os.environ.pop(paths.ROOT_ENV, None)
            else:
                os.environ[paths.ROOT_ENV] = before

    def _kernel_for(self, run: str) -> WarmKernel:
        """The run's warm kernel, started now; another run's kernel is shut down first (it may have
        imported code that has changed since)."""
        if self._kernel is not None and self._kernel[0] != run:
            self._close(self._kernel[0])
        if self._kernel is None:
            from .kernels import WarmKernel

            # While the kernel starts, this process only waits: a head start on its own imports.
            threading.Thread(target=_import_ahead, name="asn-imports", daemon=True).start()
            self._kernel = (run, WarmKernel(paths.notebooks_dir(), preload=runner.KERNEL_PRELOAD))
            try:
                self._kernel[1].start()
            except Exception:  # noqa: BLE001 - the notebook tries again, and reports the failure
                pass
        return self._kernel[1]

    def _close(self, run: str) -> None:
        if self._kernel is not None and self._kernel[0] == run:
            kernel, self._kernel = self._kernel[1], None
            try:
                kernel.close()
            except Exception:  # noqa: BLE001 - the reports are written; a kernel slow to exit was killed
                pass


def _import_ahead() -> None:
    """Import what a render needs in this process (the processed-data reader, papermill, the page
    and PDF export). A failure here is met again, and reported, where it matters."""
    try:
        from .. import store  # noqa: F401
    except Exception:  # noqa: BLE001 - only a head start
        pass
    runner._import_for_exports()


_LANE = _Lane()  # its thread starts at the first report


def render_job(job: RenderJob) -> runner.RenderOutcome:
    """The Dask task: render one report in this worker process. Never raises: a failure is the
    report's failed outcome."""
    return _LANE.render(job)


async def _release(run: str) -> None:
    """Run on every worker at the end of a run (``Client.run``): shut its kernel down."""
    await asyncio.wrap_future(_LANE.release(run))


# ---------------------------------------------------------------------------------------------
# In the calling process


class DaskWorkers:
    """The Dask side of one ``render_all``: the interface of ``runner._Workers`` over a cluster.

    ``submit(render)`` sends the report to the cluster as one task and returns a
    ``concurrent.futures.Future`` of its outcome. With ``scheduler`` (an address or a scheduler
    file) it connects at once, so that a wrong address stops the run before anything is rendered
    (``UsageError``); without, it starts a ``LocalCluster`` of ``jobs`` processes at the first
    report to render.
    """

    def __init__(self, jobs: int, scheduler: str | None = None):
        self.jobs = jobs
        self.scheduler = scheduler
        self.run_id = uuid.uuid4().hex
        self.root = str(paths.project_root())
        self.client = None
        self.cluster = None
        self._futures: list = []
        self._releasing: threading.Thread | None = None
        if scheduler:
            self._connect(scheduler)

    def __enter__(self) -> DaskWorkers:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            if self.client is not None:
                if exc_type is not None:  # Ctrl-C: the reports not started are dropped
                    self.client.cancel(self._futures)
                self.release()
                self._releasing.join(RELEASE_TIMEOUT)
        finally:
            if self.client is not None:
                self.client.close()
            if self.cluster is not None:
                self.cluster.close()

    def release(self) -> None:
        """No more reports: the workers shut this run's kernels down meanwhile (``__exit__`` waits)."""
        if self.client is not None and self._releasing is None:
            client, run_id = self.client, self.run_id

            def release() -> None:
                try:
                    client.run(_release, run_id, on_error="ignore")
                except Exception:  # noqa: BLE001 - a worker that is gone has no kernel to shut down
                    pass

            self._releasing = threading.Thread(target=release, name="asn-dask-release", daemon=True)
            self._releasing.start()

    def submit(self, render: runner._Render) -> Future:
        client = self._client()
        job = RenderJob(self.run_id, self.root, render.parameters["dataset"], render.name, render.lang, render.inputs)
        done: Future = Future()
        future = client.submit(render_job, job, key=f"asn-render-{render.base}-{self.run_id}", pure=False, retries=0)
        self._futures.append(future)
        future.add_done_callback(functools.partial(self._done, render, time.perf_counter(), done))
        return done

    def _done(self, render: runner._Render, started: float, done: Future, future) -> None:
        """The task's outcome into ``done`` (on Dask's callback thread); a worker's death is the report's failure."""
        from distributed import KilledWorker

        try:
            try:
                outcome = future.result()
            except KilledWorker as exc:
                died = WorkerDiedError(
                    f"the Dask worker rendering it died ({exc.last_worker.address if exc.last_worker else 'unknown'}): "
                    "see that worker's log"
                )
                outcome = _abandoned(render, died, time.perf_counter() - started)
            finally:
                _remove_staging(render)  # left by an attempt whose worker died
            done.set_result(outcome)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the outcome (runner._bug)
            done.set_exception(exc)

    def _client(self):
        if self.client is None:
            import dask
            from distributed import Client, LocalCluster

            with dask.config.set(LOCAL_SCHEDULER_CONFIG):
                self.cluster = LocalCluster(
                    n_workers=self.jobs,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=0,  # as the local executor: no memory limit, no pausing or spilling
                    # On the loopback, on a free port: the scheduler's HTTP server (health, metrics)
                    # starts even without a dashboard, and 8787 may be another cluster's.
                    dashboard_address="127.0.0.1:0",
                    silence_logs=logging.WARNING,
                )
            self.client = Client(self.cluster)
        return self.client

    def _connect(self, scheduler: str) -> None:
        from distributed import Client

        by_file = Path(scheduler).is_file()
        try:
            if by_file:
                client = Client(scheduler_file=scheduler, timeout=CONNECT_TIMEOUT)
            else:
                client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
        except TimeoutError:
            client.close()
            raise UsageError(
                f"no Dask worker joined the scheduler at {scheduler} within {WORKERS_TIMEOUT:.0f} s "
                "(start them with: dask worker <address> --nthreads 1)"
            ) from None
        try:
            _check_workers(client, self.root)
        except BaseException:
            client.close()
            raise
        self.client = client
        self.jobs = max(1, sum(client.nthreads().values()))


def _worker_view(root: str) -> tuple[bool, str]:
    """Run on every worker (``Client.run``): whether it sees the project root, and its package's code digest."""
    return Path(root).is_dir(), build.code_digest()


def _check_workers(client, root: str) -> None:
    """Stop before anything is rendered when a worker of an external cluster cannot render this
    run's reports: it does not see the project root, or its ``helpers`` package differs."""
    code = build.code_digest()
    views = client.run(_worker_view, root)
    blind = sorted(w for w, (sees, _) in views.items() if not sees)
    if blind:
        raise UsageError(
            f"the project root {root} is not a folder on the Dask worker(s) {', '.join(blind)}: workers need "
            "the project on a shared file system, at the same path"
        )
    other = sorted(w for w, (_, digest) in views.items() if digest != code)
    if other:
        raise UsageError(
            f"the Dask worker(s) {', '.join(other)} run another helpers package than this one (its files "
            "differ): install the same version or checkout there, and restart them"
        )


def _staging(render: runner._Render) -> list[Path]:
    """The staging folders of ``render``'s report (``runner._Render.execute``)."""
    return sorted(render.dest.glob(f".{render.base}.tmp-*"))


def _abandoned(render: runner._Render, exc: Exception, seconds: float) -> runner.RenderOutcome:
    """The failed outcome of a report whose worker died; the executed notebook it had staged, if
    any, is kept under ``failed/`` as for any failed notebook."""
    staged = (folder / f"{render.base}.ipynb" for folder in _staging(render))
    executed = next((path for path in staged if path.is_file()), None)
    if executed is None:
        return runner.RenderOutcome(render.name, False, seconds, error=f"{type(exc).__name__}: {exc}")
    return runner._failed(render.name, render.base, render.dest, executed, exc, seconds)


def _remove_staging(render: runner._Render) -> None:
    """Once the report's task is over, any staging folder of its report is a dead attempt's."""
    for folder in _staging(render):
        shutil.rmtree(folder, ignore_errors=True)
