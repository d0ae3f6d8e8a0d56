"""Starts `modelspec serve` on 127.0.0.1 (a free port) for the remote tests,
and makes sure it is gone afterwards, whatever happens."""
import contextlib
import http.client
import json
import re
import signal
import subprocess
import threading
import time


class Server:
    def __init__(self, tool, model, weights, *extra):
        self.lines = []
        self._seen = threading.Condition()
        self.process = subprocess.Popen(
            [tool, "serve", "--model", str(model), "--weights", str(weights), "--host", "127.0.0.1", "--port", "0",
             *map(str, extra)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            line = self.wait_for_line(r"listening on 127\.0\.0\.1:(\d+)")
        except BaseException:
            self.kill()
            raise
        self.port = int(re.search(r"listening on 127\.0\.0\.1:(\d+)", line).group(1))

    def _read(self):
        for line in self.process.stderr:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for_line(self, pattern, count=1, timeout=60):
        """The count-th stderr line matching `pattern`, once it is there."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                matches = [line for line in self.lines if re.search(pattern, line)]
                if len(matches) >= count:
                    return matches[count - 1]
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(f"server exited ({self.process.returncode}):\n" + "\n".join(self.lines))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no line matching {pattern!r}:\n" + "\n".join(self.lines[-20:]))
                self._seen.wait(min(remaining, 0.5))

    def wait_ready(self):
        self.wait_for_line(r"modelspec serve: ready")

    def connection(self, timeout=30):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        """(status, decoded JSON body or raw text)."""
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(data) if data else None
        except ValueError:
            return response.status, data.decode(errors="replace")

    def stop(self, timeout=30):
        """SIGTERM, then the exit status (SIGKILL if it hangs)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("the server did not stop within %d s of SIGTERM" % timeout)

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._reader.join(5)


@contextlib.contextmanager
def running(tool, model, weights, *extra):
    server = Server(tool, model, weights, *extra)
    try:
        yield server
    finally:
        server.kill()
