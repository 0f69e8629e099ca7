"""Rendering demo certificates in worker processes: each one rendered, signed and checked as
issuing does (:func:`lms.certificates.render.issue_pdf`)."""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..certificates.signing import SigningKeys
from .people import POOL_FROM, RENDER_BATCH, WARM_UP_SNAPSHOT


def render_batch(snapshots: list[dict[str, Any]], keys: SigningKeys,
                 template_dir: str | None = None, logo: str | None = None) -> list[bytes]:
    """The signed, checked PDFs of these snapshots: runs in a worker process, with no app."""
    from ..certificates.render import issue_pdf
    from ..certificates.snapshot import CertificateSnapshot

    folder = Path(template_dir) if template_dir else None
    return [issue_pdf(CertificateSnapshot.from_json(snapshot), keys, folder, logo) for snapshot in snapshots]


def _prepare_worker(keys: SigningKeys) -> None:
    """Load the fonts and the key with one certificate, then freeze the heap: every render ends in a
    full ``gc.collect()``, which then need not walk WeasyPrint's caches each time (about a third faster)."""
    render_batch([WARM_UP_SNAPSHOT], keys)
    gc.freeze()


class Renderer:
    """Turns certificate jobs into PDFs: in worker processes, or here when there are only a few."""

    def __init__(self, pool: ProcessPoolExecutor | None, keys: SigningKeys, logo: str | None = None):
        self.pool = pool
        self.keys = keys
        self.logo = logo

    def submit(self, jobs: list[tuple[dict[str, Any], str | None]]) -> Callable[[], list[bytes]]:
        """Start rendering; the returned function waits for the PDFs, in the order of ``jobs``."""
        groups: list[tuple[list[dict[str, Any]], str | None]] = []
        for snapshot, template in jobs:  # runs of one template, at most RENDER_BATCH long
            if not groups or groups[-1][1] != template or len(groups[-1][0]) >= RENDER_BATCH:
                groups.append(([], template))
            groups[-1][0].append(snapshot)
        if self.pool is None:
            return lambda: [pdf for snapshots, template in groups
                            for pdf in render_batch(snapshots, self.keys, template, self.logo)]
        futures = [self.pool.submit(render_batch, snapshots, self.keys, template, self.logo)
                   for snapshots, template in groups]
        return lambda: [pdf for future in futures for pdf in future.result()]


@contextmanager
def certificate_renderer(certificates: int, keys: SigningKeys, logo: str | None = None) -> Iterator[Renderer]:
    """Worker processes (started with ``spawn``, so nothing of this process is inherited) for many
    certificates, shut down on the way out; this process alone for a few."""
    if certificates < POOL_FROM:
        yield Renderer(None, keys, logo)
        return
    pool = ProcessPoolExecutor(max_workers=os.cpu_count() or 1, initializer=_prepare_worker, initargs=(keys,),
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        yield Renderer(pool, keys, logo)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


