"""A papermill engine that runs notebooks in a ``helpers.render.kernels.WarmKernel``.

Papermill stays the executor of record (parameters cell, cell metadata, errors, the executed
``.ipynb``); only where the kernel comes from changes. Use:
``pm.execute_notebook(..., engine_name=ENGINE_NAME, warm_kernel=kernel)``. Without
``warm_kernel`` the engine is papermill's own ``nbclient`` engine (a new kernel).
"""

from __future__ import annotations

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

from .kernels import WarmKernel

ENGINE_NAME = "asn-warm-kernel"


class WarmKernelEngine(NBClientEngine):
    """Papermill's nbclient engine, run in a ``WarmKernel`` when given one (``warm_kernel=``)."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man,
        kernel_name,
        log_output=False,
        stdout_file=None,
        stderr_file=None,
        start_timeout=60,
        execution_timeout=None,
        warm_kernel: WarmKernel | None = None,
        **kwargs,
    ):
        if warm_kernel is None:
            return super().execute_managed_notebook(
                nb_man,
                kernel_name,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                start_timeout=start_timeout,
                execution_timeout=execution_timeout,
                **kwargs,
            )
        warm_kernel.prepare()
        safe_kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
        final_kwargs = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log=logger,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=warm_kernel.km, **final_kwargs)
        client.kc = warm_kernel.kc  # nbclient then neither starts a client nor stops the kernel
        return client.execute()


papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
