"""Dask distributed: the batches of a run as tasks on a Dask cluster (``--scheduler`` / ``--cluster``).

:class:`DaskExecutor` is an executor for :func:`mcdose.runner.execute` (the protocol of
:class:`~mcdose.runner.LocalExecutor`): every batch index becomes one Dask task, the partials come back
in whatever order the workers finish them, and ``execute`` merges them in batch order -- so the dose is
bit for bit the in-process run's with the same seed, whatever ran it (see docs/architecture.md,
"Determinism and merging"). Finished batches land in the run's checkpoint folder like local ones, so
``--resume`` works after the client, the scheduler or the whole cluster died.

Where the batches run:

``scheduler="tcp://HOST:8786"`` (or ``tls://``)
    a running Dask scheduler (``dask scheduler``) with workers (``dask worker tcp://HOST:8786 --nthreads 1``);
    on Slurm or PBS the scheduler and workers come from dask-jobqueue (``SLURMCluster(...).scheduler_address``)
    or ``dask scheduler --scheduler-file`` and ``srun dask worker --scheduler-file``: give that address.
``cluster="local:N"``
    a LocalCluster of N worker processes on 127.0.0.1 (one Dask thread each), started here and closed at
    the end; ``"local"`` alone starts one per CPU core.
``cluster="ssh:host1,host2,..."``
    dask's SSHCluster (needs ``asyncssh`` and password-less ssh to every host): the scheduler runs on the
    first host and one worker process on each host; the scheduler must be reachable from the workers,
    so it listens on host1's address in that network.

Each worker builds the run's problem once (physics tables from its cache, kernels from Numba's cache) and
keeps it for the next batches of the same run (:data:`_PROBLEMS`, by configuration digest): a task carries
only the resolved configuration (a small dict), the configuration file's path, the digest and the batch
index. Workers need mcdose (the same version) installed and the configuration's data files (phase-space
files, spectra, CT images, ...) at the same paths as on the client -- a shared file system, or copies at
the same paths. Each batch runs on ``run.threads`` Numba threads (1 when run.threads is 0, "all", since
a worker process is usually one of several on its machine): start ``--nworkers C --nthreads 1`` workers
on a C-core machine, or one ``--nthreads 1`` worker per machine and ``run.threads = C``.

A lost worker (killed, crashed, its machine gone) costs only the batch it was running: the scheduler runs
it again elsewhere; a task that fails with an error is retried twice (``retries=2``).

Security: nothing listens on a public address by default (a LocalCluster binds 127.0.0.1, without a
dashboard). TLS is Dask's own: the client, a LocalCluster and an SSHCluster use
:class:`distributed.security.Security` from the user's Dask configuration (``distributed.comm.tls.*``,
``distributed.comm.require-encryption``, e.g. in ``~/.config/dask/distributed.yaml`` or
``DASK_DISTRIBUTED__COMM__TLS__...`` variables); a ``tls://`` scheduler needs those certificates.
"""
from __future__ import annotations

import collections
import logging
import os
import re
import sys
import threading
import time
import uuid

from . import __version__
from .errors import InputError

LOCAL_HOST = "127.0.0.1"
CONNECT_TIMEOUT_S = 10.0          # a scheduler that does not answer within this is an error
RETRIES = 2                       # a task that raised is run again this many times
MAX_LOCAL_WORKERS = 1024
CACHED_PROBLEMS = 2               # problems a worker process keeps (the latest runs')

_ADDRESS = re.compile(r"^(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?):(\d{1,5})$")
_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:]+\]?$")

# ----------------------------------------------------------------------------------------------
# on the worker

_PROBLEMS: "collections.OrderedDict[str, tuple]" = collections.OrderedDict()   # digest -> (problem, plan)
_BUILD_LOCK = threading.Lock()


def _worker_name() -> str:
    try:
        from distributed import get_worker
        return f"worker {get_worker().address}"
    except (ImportError, ValueError):
        return "this process"


def _problem(config: dict, source_path, digest: str):
    """The run's (problem, plan) in this process: built once per digest, then taken from :data:`_PROBLEMS`."""
    with _BUILD_LOCK:
        if digest in _PROBLEMS:
            _PROBLEMS.move_to_end(digest)
            return _PROBLEMS[digest]
        from .config import validate
        from .problem import build_problem
        from .runner import RunPlan, run_digest
        try:
            spec = validate(config, source_path)
            if run_digest(spec) != digest:
                raise InputError(f"the configuration resolves differently here (mcdose {__version__}), or a file "
                                 "it reads (phantom, machine, source model, phase space) differs from the client's; "
                                 "install the client's mcdose version and the same files on every worker")
            problem = build_problem(spec, ahead=True)
            prepare = getattr(problem, "prepare", None)
            if prepare is not None:
                prepare()
        except InputError as exc:
            raise InputError(f"{_worker_name()}: {exc} (every worker needs mcdose {__version__} and the "
                             "configuration's data files at the same paths as the client)") from None
        while len(_PROBLEMS) >= CACHED_PROBLEMS:
            _PROBLEMS.popitem(last=False)
        _PROBLEMS[digest] = (problem, RunPlan.of(spec, problem))
        return _PROBLEMS[digest]


def run_batch_task(config: dict, source_path, digest: str, batch: int, threads: int = 1):
    """The Dask task: batch ``batch`` of the run whose resolved configuration is ``config`` (``spec.to_dict()``,
    read relative to ``source_path``) and whose digest is ``digest``; returns its
    :class:`~mcdose.partials.Partial`. The problem is built at the first batch in this process and cached."""
    from .runner import run_batch
    problem, plan = _problem(config, source_path, digest)
    return run_batch(problem, plan, batch, threads)


def warm_task(config: dict, source_path, digest: str) -> dict:
    """Build (or find) the run's problem in this worker process; what the client checks before the batches."""
    import platform
    t0 = time.perf_counter()
    _problem(config, source_path, digest)
    return {"version": __version__, "host": platform.node(), "seconds": time.perf_counter() - t0}


# ----------------------------------------------------------------------------------------------
# on the client

def parse_scheduler(address: str) -> str:
    """``tcp://HOST:PORT`` or ``tls://HOST:PORT`` (HOST a name, an IPv4 or a bracketed IPv6 address)."""
    text = str(address).strip()
    m = _ADDRESS.match(text)
    if not m or not 1 <= int(m.group(3)) <= 65535:
        raise InputError(f"--scheduler {address!r}: must be the address of a running Dask scheduler, "
                         "tcp://HOST:PORT or tls://HOST:PORT (e.g. tcp://10.0.0.5:8786), PORT 1-65535")
    return text


def parse_cluster(cluster: str) -> tuple:
    """``local``, ``local:N`` (1 <= N <= 1024 worker processes) or ``ssh:HOST1,HOST2,...`` ->
    ("local", N) or ("ssh", (hosts...))."""
    text = str(cluster).strip()
    kind, sep, rest = text.partition(":")
    allowed = ("must be local:N (N worker processes on this machine, e.g. local:4; 'local' alone is one per CPU "
               "core) or ssh:HOST1,HOST2,... (dask's SSHCluster: scheduler on HOST1, a worker on each host)")
    if kind == "local":
        if not sep:
            return "local", max(1, os.cpu_count() or 1)
        if not re.fullmatch(r"\d{1,5}", rest) or not 1 <= int(rest) <= MAX_LOCAL_WORKERS:
            raise InputError(f"--cluster {cluster!r}: N must be a whole number of worker processes from 1 to "
                             f"{MAX_LOCAL_WORKERS}; {allowed}")
        return "local", int(rest)
    if kind == "ssh" and sep:
        hosts = tuple(h.strip() for h in rest.split(","))
        bad = [h for h in hosts if not _HOST.match(h)]
        if hosts and not bad:
            return "ssh", hosts
        raise InputError(f"--cluster {cluster!r}: {', '.join(map(repr, bad)) or 'no host'} is not a host name or "
                         f"address; {allowed}")
    raise InputError(f"--cluster {cluster!r}: {allowed}")


def _security():
    """Dask's security settings from the user's configuration: (protocol, security) for a cluster started here."""
    from distributed.security import Security
    sec = Security()
    if not sec.require_encryption:
        return "tcp://", sec
    if sec.tls_scheduler_cert or sec.tls_cert:
        return "tls://", sec
    try:
        return "tls://", Security.temporary()      # encryption required, no certificates: throw-away ones
    except ImportError:
        raise InputError("the Dask configuration requires encryption (distributed.comm.require-encryption) but "
                         "names no certificates (distributed.comm.tls.*), and the throw-away ones need the "
                         "'cryptography' package: configure the certificates or install it") from None


class DaskExecutor:
    """Runs the batches as tasks on a Dask cluster (see the module docstring). Use as
    ``execute(problem, spec, ..., executor=DaskExecutor(spec, scheduler="tcp://host:8786"))``.

    spec: the run's :class:`~mcdose.config.Spec`; scheduler: address of a running scheduler; cluster:
    ``local:N`` or ``ssh:host1,host2`` (one of the two); threads_per_worker: Dask threads per worker process
    of a cluster started here (1: one batch at a time each); stream: where notes go when no progress bar is
    given (default stderr); timeout: seconds to wait for a scheduler to answer (and a cluster to start).

    The arguments are checked here (InputError); nothing connects before :meth:`prepare` (or :meth:`connect`).
    :meth:`close` cancels what is outstanding, closes the client and the cluster this executor started;
    it is also a context manager.
    """

    def __init__(self, spec, scheduler: str | None = None, cluster: str | None = None, threads_per_worker: int = 1,
                 stream=None, timeout: float = CONNECT_TIMEOUT_S):
        if (scheduler is None) == (cluster is None):
            raise InputError(("--scheduler and --cluster: give one, not both; " if scheduler is not None else "") +
                             "give --scheduler tcp://HOST:PORT (a running Dask scheduler) or --cluster local:N or "
                             "ssh:HOST1,HOST2 (a cluster started for this run)")
        self.scheduler = parse_scheduler(scheduler) if scheduler is not None else None
        self.cluster_kind = parse_cluster(cluster) if cluster is not None else None
        if not isinstance(threads_per_worker, int) or threads_per_worker < 1:
            raise InputError(f"threads_per_worker must be a whole number >= 1, got {threads_per_worker!r}")
        self.spec, self.threads_per_worker, self.timeout = spec, threads_per_worker, float(timeout)
        self.stream = stream
        self.config, self.source_path = spec.to_dict(), spec.source_path
        self.threads = int(spec.run.threads) or 1
        self.client = self.cluster = None
        self.workers = 0
        self._futures = set()
        self._closed = False

    # -- the executor protocol

    def prepare(self, bar=None) -> None:
        """Connect (or start the cluster) and build the problem on every worker there now (workers that
        join later build it at their first batch); refuse workers with another mcdose."""
        note = bar.note if bar is not None else self._note
        try:
            self.connect(note)
            self._warm(note)
        except BaseException:
            self.close()
            raise

    def run(self, plan, batches, stop=None):
        """Submit every batch in ``batches`` as its own task and yield the partials as they complete.

        stop: optional callable; while no partial is ready it is asked every 0.1 s, and when it returns true
        the generator ends (the rest is cancelled) -- so that a stop request is seen even when no worker is
        delivering (none joined yet, all lost)."""
        from distributed import as_completed
        if self.client is None:
            self.connect(self._note)
        token = uuid.uuid4().hex[:8]
        futures = {}
        for b in batches:
            f = self.client.submit(run_batch_task, self.config, self.source_path, plan.digest, int(b), self.threads,
                                   key=f"mcdose-{plan.digest[:12]}-batch-{int(b):06d}-{token}", pure=False,
                                   retries=RETRIES)
            futures[f] = int(b)
        self._futures.update(futures)
        try:
            for future in _completed(as_completed(list(futures), loop=self.client.loop), stop):
                b = futures[future]
                try:
                    partial = future.result()
                except InputError:
                    raise
                except Exception as exc:   # noqa: BLE001 -- distributed's KilledWorker, CancelledError, ...
                    raise InputError(f"batch {b} failed on the Dask cluster ({type(exc).__name__}: {exc}); the "
                                     "finished batches are kept: run again with --resume") from None
                self._futures.discard(future)
                future.release()
                self._check(plan, b, partial)
                yield partial
        finally:
            self._cancel()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._cancel()
        for thing in (self.client, self.cluster):
            if thing is not None:
                try:
                    thing.close()
                except Exception:    # noqa: BLE001 -- closing what may already be gone
                    pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # -- the rest

    def connect(self, note=None) -> None:
        """Connect the client (starting the cluster first for ``cluster=``); InputError if that fails."""
        if self.client is not None:
            return
        if self._closed:
            raise InputError("this DaskExecutor is closed; make a new one")
        try:
            from distributed import Client
        except ImportError:
            raise InputError("--scheduler / --cluster need Dask distributed: pip install 'mcdose[cluster]'") from None
        note = note or self._note
        if self.scheduler is not None:
            from distributed.security import Security
            security = Security()
            try:           # distributed's Client hangs on a server that accepts but never answers: ask first
                kind = _identity(self.scheduler, self.timeout, security).get("type")
                if kind != "Scheduler":
                    raise InputError(f"--scheduler {self.scheduler}: that is a Dask {kind}, not the scheduler; give "
                                     "the scheduler's address (dask scheduler prints it, port 8786 by default)")
                self.client = Client(self.scheduler, timeout=self.timeout, set_as_default=False, security=security)
            except (OSError, TimeoutError) as exc:
                raise InputError(f"--scheduler {self.scheduler}: no Dask scheduler answered within "
                                 f"{self.timeout:g} s ({str(exc) or type(exc).__name__}); start one (dask scheduler) "
                                 "or check the address, the port and, for tls://, the Dask TLS configuration") from None
            note(f"dask: connected to {self.scheduler}\n")
            return
        kind, arg = self.cluster_kind
        protocol, security = _security()
        if kind == "local":
            from distributed import LocalCluster
            note(f"dask: starting {arg} local worker process{'es' * (arg != 1)} on {LOCAL_HOST} ... ")
            t0 = time.perf_counter()
            self.cluster = LocalCluster(n_workers=arg, threads_per_worker=self.threads_per_worker, processes=True,
                                        host=LOCAL_HOST, scheduler_port=0, dashboard_address=f"{LOCAL_HOST}:0",
                                        protocol=protocol, security=security, silence_logs=logging.CRITICAL)
            note(f"up in {time.perf_counter() - t0:.1f} s\n")
        else:
            from distributed import SSHCluster
            note(f"dask: starting an SSHCluster: scheduler on {arg[0]}, workers on {', '.join(arg)} ...\n")
            try:
                self.cluster = SSHCluster([arg[0], *arg], security=security,
                                          scheduler_options={"port": 0, "dashboard_address": None,
                                                             "protocol": protocol},
                                          worker_options={"nthreads": self.threads_per_worker, "n_workers": 1})
            except (OSError, ImportError) as exc:
                raise InputError(f"--cluster ssh:{','.join(arg)}: the SSHCluster did not start ({exc}); it needs "
                                 "asyncssh here, password-less ssh to every host and mcdose on each") from None
        self.client = Client(self.cluster, set_as_default=False, timeout=self.timeout)

    def _warm(self, note) -> None:
        from .runner import run_digest
        digest = run_digest(self.spec)
        workers = sorted(self.client.scheduler_info(n_workers=-1)["workers"]) if _has_n_workers() else \
            sorted(self.client.scheduler_info()["workers"])
        self.workers = len(workers)
        if not workers:
            note("dask: no workers yet; the batches wait until workers join the scheduler\n")
            return
        note(f"dask: {len(workers)} worker{'s' * (len(workers) != 1)}; building the problem on each ... ")
        t0 = time.perf_counter()
        token = uuid.uuid4().hex[:8]
        futures = {self.client.submit(warm_task, self.config, self.source_path, digest, key=f"mcdose-warm-{w}-{token}",
                                      workers=[w], allow_other_workers=False, pure=False): w for w in workers}
        self._futures.update(futures)
        hosts = set()
        for future, w in futures.items():
            try:
                info = future.result()
            except InputError:
                raise
            except Exception as exc:    # noqa: BLE001
                raise InputError(f"worker {w}: the problem could not be built there ({type(exc).__name__}: {exc})"
                                 ) from None
            self._futures.discard(future)
            if info["version"] != __version__:
                raise InputError(f"worker {w} ({info['host']}) has mcdose {info['version']}, this is {__version__}; "
                                 "install the same version on every worker")
            hosts.add(info["host"])
        note(f"ready in {time.perf_counter() - t0:.1f} s ({len(hosts)} host{'s' * (len(hosts) != 1)})\n")

    def _check(self, plan, batch: int, partial) -> None:
        from .partials import Partial
        if not isinstance(partial, Partial):
            raise InputError(f"batch {batch}: a Dask worker returned {type(partial).__name__}, not a partial; "
                             f"install mcdose {__version__} on every worker")
        plan.verify(partial, lambda what: InputError(f"batch {batch} from the Dask cluster: {what}"))
        if partial.batch != batch:
            raise InputError(f"batch {batch}: a Dask worker returned batch {partial.batch} instead")

    def _cancel(self) -> None:
        if self._futures and self.client is not None:
            try:
                self.client.cancel(list(self._futures))
            except Exception:   # noqa: BLE001 -- the client may be gone already
                pass
        self._futures.clear()

    def _note(self, text: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(text)
        stream.flush()


def _completed(ac, stop):
    """The futures of ``ac`` (a distributed.as_completed) as they complete; ends early once ``stop()`` is true."""
    if stop is None:
        yield from ac
        return
    while not ac.is_empty():
        if ac.has_ready():
            yield next(ac)
        elif stop():
            return
        else:
            time.sleep(0.1)


def _identity(address: str, timeout: float, security) -> dict:
    """The identity of the Dask server at ``address`` (its "type": Scheduler, Worker, ...), within ``timeout`` s
    (TimeoutError, OSError otherwise). Runs its own event loop in a helper thread (safe inside a running loop)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from distributed.comm import connect

    async def ask():
        comm = await asyncio.wait_for(connect(address, timeout=timeout, **security.get_connection_args("client")),
                                      timeout)
        try:
            await asyncio.wait_for(comm.write({"op": "identity", "reply": True}), timeout)
            return await asyncio.wait_for(comm.read(), timeout)
        finally:
            comm.abort()

    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(asyncio.run, ask()).result()
    return reply if isinstance(reply, dict) else {}


def _has_n_workers() -> bool:
    import inspect
    from distributed import Client
    return "n_workers" in inspect.signature(Client.scheduler_info).parameters
