#!/usr/bin/env python3
"""Runs the attacks of the security review against a Patio binary and prints what got
through, with the server's peak memory. Standard library only.

    python3 bench/attacks.py --bin target/release/patio [--check]

It starts the binary on a free loopback port with a fresh data folder, creates the
accounts with `patio user add`, runs each attack (bounded in count and time), reads the
SQLite file for row counts and /proc for the server's peak RSS, and stops the server.
With --check it exits 1 when an attack gets through (used by scripts/test).
"""

import argparse
import concurrent.futures as cf
import http.client
import json
import os
import socket
import sqlite3
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary, extra):
        self.dir = tempfile.mkdtemp(prefix="patio-attacks-")
        self.port = free_port()
        self.db = os.path.join(self.dir, "patio.db")
        self.args = [
            binary,
            "--bind", f"127.0.0.1:{self.port}",
            "--database-url", f"sqlite://{self.db}",
            "--data-dir", self.dir,
            "--log", "warn",
        ] + extra
        self.binary = binary

    def add_user(self, email):
        subprocess.run(
            [self.binary, "--database-url", f"sqlite://{self.db}", "--data-dir", self.dir,
             "--log", "warn", "user", "add", "--email", email],
            input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=60,
        )

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if request("GET", self.port, "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        # The uploads made here are hundreds of MB: leave nothing behind.
        shutil.rmtree(self.dir, ignore_errors=True)


def request(verb, port, path, body=None, headers=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(verb, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def call(port, method_path, params, headers=None):
    body = urllib.parse.urlencode(params)
    h = {"content-type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    status, data = request("POST", port, method_path, body, h)
    try:
        return json.loads(data)
    except ValueError:
        return {"result": f"HTTP {status}"}


SIGNIN = "/1.0/users/authentication/rest/signin"
CREATE = "/1.0/users/authentication/rest/createtoken"
STOP = "/1.0/environment/control/rest/stopenv"
UPLOAD = "/1.0/storage/uploader/rest/upload"


def burst(n, fn):
    with cf.ThreadPoolExecutor(max_workers=min(n, 100)) as pool:
        return list(pool.map(lambda i: fn(i), range(n)))


def codes(replies):
    out = {}
    for r in replies:
        out[r.get("result")] = out.get(r.get("result"), 0) + 1
    return dict(sorted(out.items(), key=lambda kv: str(kv[0])))


def multipart(size, token=None):
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"app.war\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    body = head + b"x" * size + tail
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return body, headers


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    server = Server(args.bin, [])
    for email in ["ann@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]:
        server.add_user(email)
    server.start()
    port = server.port
    results = []
    failures = []

    def report(name, figure, ok):
        figure = f"{figure}; peak RSS so far {server.peak_rss_mb():.0f} MB"
        results.append((name, figure, "held" if ok else "GOT THROUGH"))
        if not ok:
            failures.append(name)

    try:
        start_rss = server.rss_mb()
        # 0. Many sign-ups from one address (each costs a hash).
        status = []
        for i in range(15):
            s, data = request("POST", port, "/api/sign_up",
                              urllib.parse.urlencode({"email": f"new{i}@example.com", "password": PASSWORD}),
                              {"content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin",
                               "accept": "application/json"})
            status.append(s)
        with sqlite3.connect(server.db) as db:
            made = db.execute("select count(*) from accounts where email like 'new%'").fetchone()[0]
        report("15 sign-ups from one address", f"{made} accounts made, statuses {sorted(set(status))}", made <= 10)

        # A session and a token for later, before any limit is touched.
        bob = call(port, SIGNIN, {"login": "bob@example.com", "password": PASSWORD})["session"]
        dave = call(port, SIGNIN, {"login": "dave@example.com", "password": PASSWORD})["session"]
        made = call(port, CREATE, {"session": dave, "password": PASSWORD, "description": "leaked",
                                   "tokenTemplate": "marketplace"})
        leaked = made["token"]["key"]
        maven = call(port, CREATE, {"session": dave, "password": PASSWORD, "description": "ci",
                                    "tokenTemplate": "maven-plugin"})["token"]["key"]

        # 1. Account discovery: a locked account against an unknown email.
        answers = {}
        for login in ["carol@example.com", "ghost@example.com"]:
            seq = [call(port, SIGNIN, {"login": login, "password": "a guess"}).get("result") for _ in range(6)]
            answers[login] = seq
        alike = answers["carol@example.com"] == answers["ghost@example.com"]
        report("locked account vs unknown email (6 wrong each)",
               f"carol {answers['carol@example.com']} / ghost {answers['ghost@example.com']}", alike)

        # 2. A burst of wrong sign-ins to one account.
        replies = burst(100, lambda i: call(port, SIGNIN, {"login": "ann@example.com", "password": f"guess {i}"}))
        c = codes(replies)
        report("100 concurrent wrong sign-ins to one account", f"{c}", c.get(702, 0) <= 5)

        # 3. A burst of wrong password confirmations behind one session.
        replies = burst(60, lambda i: call(port, CREATE, {"session": bob, "password": f"guess {i}",
                                                          "description": f"b{i}", "tokenTemplate": "marketplace"}))
        c = codes(replies)
        report("60 concurrent wrong confirmations, one session", f"{c}", c.get(702, 0) <= 5)

        # 4. A leaked token floods the log with calls outside its set.
        t0 = time.time()
        replies = burst(3000, lambda i: call(port, STOP, {"session": leaked, "envName": "x"}))
        elapsed = time.time() - t0
        time.sleep(2.5)
        with sqlite3.connect(server.db) as db:
            rows = db.execute("select count(*) from audit_events where action = 'api.call'").fetchone()[0]
        report("3,000 denied calls: audit rows written", f"{rows} rows ({codes(replies)}, {elapsed:.1f} s)", rows <= 10)

        # 5. Anonymous uploads of 45 MB each, eight at once.
        body, headers = multipart(45 * 1024 * 1024)

        def anonymous(_):
            try:
                return json.loads(request("POST", port, UPLOAD, body, headers)[1] or b"{}")
            except (BrokenPipeError, ConnectionResetError):
                # The server answered and closed before the body was sent: never read.
                return {"result": 701}
        replies = burst(8, anonymous)
        peak_anon = server.peak_rss_mb()
        parts = [f for f in os.listdir(os.path.join(server.dir, "uploads"))] if os.path.isdir(os.path.join(server.dir, "uploads")) else []
        report("8 anonymous 45 MB uploads", f"{codes(replies)}, files left {len(parts)}, peak RSS {peak_anon:.0f} MB",
               all(r.get("result") == 701 for r in replies) and not parts)

        # 6. Eight authorised 45 MB uploads at once: streamed, not held in memory.
        body, headers = multipart(45 * 1024 * 1024, maven)
        replies = burst(8, lambda i: json.loads(request("POST", port, UPLOAD, body, headers)[1] or b"{}"))
        peak_up = server.peak_rss_mb()
        report("8 authorised 45 MB uploads", f"{codes(replies)}, peak RSS {peak_up:.0f} MB", peak_up < 150)

        # 7. A burst of sign-ins to many accounts (hashing memory).
        replies = burst(200, lambda i: call(port, SIGNIN, {"login": f"user{i}@example.com", "password": "x" * 12}))
        peak = server.peak_rss_mb()
        report("200 concurrent sign-ins to unknown emails", f"{codes(replies)}, peak RSS {peak:.0f} MB", peak < 150)

        end_rss = server.rss_mb()
        results.append(("server RSS at start / end", f"{start_rss:.0f} MB / {end_rss:.0f} MB", ""))
    finally:
        server.stop()

    width = max(len(r[0]) for r in results)
    print(f"{'attack'.ljust(width)} | result | what happened")
    for name, figure, verdict in results:
        print(f"{name.ljust(width)} | {verdict:11} | {figure}")
    held = sum(1 for r in results if r[2] == "held")
    print(f"{held} passed, {len(failures)} failed")
    if args.check and failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
