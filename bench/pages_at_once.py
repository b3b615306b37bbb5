#!/usr/bin/env python3
"""Loads pages from many threads at once and checks each against the same page loaded
alone: its status, its `<html lang>` and its `<title>`. Standard library only.

    python3 bench/pages_at_once.py --bin target/release/patio [--site-root target/site]

It starts the binary on a free loopback port with a fresh data folder, loads the
sign-in, sign-up, share and not-found pages and the favicon (a file served beside the
pages) in English and Indonesian alone, then
16 threads load them in turn, 300 each. It prints how many came back right, how many
came back with another page's language or title, and how many failed. It exits 1
unless every page came back right.
"""

import argparse
import concurrent.futures as cf
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PAGES = ["/signin", "/signup", "/share/0123456789abcdef", "/no-such-page", "/favicon.svg"]
LANGUAGES = ["en", "id"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load(url):
    """(status, language, title) of a page."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            status, body = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    lang = re.search(r'<html lang="([^"]*)"', body)
    title = re.search(r"<title>(.*?)</title>", body)
    return status, lang and lang.group(1), title and title.group(1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--site-root", default="target/site")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--pages", type=int, default=300, help="pages per thread")
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="patio-pages-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [args.bin, "--bind", f"127.0.0.1:{port}", "--data-dir", data,
         "--database-url", f"sqlite://{os.path.join(data, 'patio.db')}",
         "--site-root", args.site_root, "--log", "warn"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("the server did not start")
                time.sleep(0.1)

        alone = {}
        for page in PAGES:
            for lang in LANGUAGES:
                url = f"{base}{page}?lang={lang}"
                alone[url] = load(url)
        urls = list(alone)

        def thread(k):
            right = wrong = failed = 0
            for i in range(args.pages):
                url = urls[(k + i) % len(urls)]
                try:
                    if load(url) == alone[url]:
                        right += 1
                    else:
                        wrong += 1
                except Exception:
                    failed += 1
            return right, wrong, failed

        started = time.time()
        with cf.ThreadPoolExecutor(args.threads) as pool:
            counts = list(pool.map(thread, range(args.threads)))
        took = time.time() - started
        right, wrong, failed = (sum(c[i] for c in counts) for i in range(3))
        print(f"{right + wrong + failed} pages from {args.threads} threads in {took:.1f} s: "
              f"{right} right, {wrong} with another page's language or title, {failed} failed")
        sys.exit(0 if wrong == 0 and failed == 0 else 1)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
