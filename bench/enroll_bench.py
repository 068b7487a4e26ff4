"""Enrollment under load against a real server: no overbooking, no errors, and how fast.

Starts gunicorn (several workers) on a fresh database — SQLite, PostgreSQL or both — seeds a
run with 10 paid and 10 free seats and 600 women, then fires one enrollment per woman from
60 concurrent clients through the public API. Afterwards it checks, from the database itself,
that exactly 10 + 10 seats are confirmed, that everyone else is waitlisted with positions
1..n per seat type without gaps, and that no response was a 5xx. In the same run it measures
a trivial authenticated GET (/api/v1/centres) at the same concurrency, and reports the ratio
of the two throughputs.

    .venv/bin/python bench/enroll_bench.py --db both

Results go to bench/results/enroll-<db>-<timestamp>.json (and a line in bench/results/README).
This is a benchmark, not a test: it never runs in `./mamapro test`.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "mamapro_bench"


@dataclass
class Phase:
    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p95_ms: float
    statuses: dict[str, int]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# What the TLS proxy in front of production adds (settings.SECURE_PROXY_SSL_HEADER).
BEHIND_TLS = {"X-Forwarded-Proto": "https"}


def _env(db: str, var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="mamapro.settings",
        MAMAPRO_VAR_DIR=str(var_dir),
        SECRET_KEY=secrets.token_urlsafe(50),
        # A throwaway data key: the bench's women have no sensitive fields worth keeping.
        DATA_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        AUDIT_KEY=secrets.token_urlsafe(48),
        # As in production, behind a TLS proxy: every request below says it came over HTTPS.
        HTTPS="true",
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    env.pop("DATABASE_URL", None)
    if db == "postgres":
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_BENCH_DB
    return env


def _python(env: dict[str, str], code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise SystemExit(f"setup failed:\n{out.stderr[-3000:]}")
    return out.stdout


def _fresh_postgres() -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")


SEED = """
import django, json
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from mamapro.centres.models import Centre, Membership
from mamapro.core.models import ApiToken, User
from mamapro.people import services as people
from mamapro.programs.models import Course, Run
from django.utils import timezone
import datetime as dt
centre = Centre.objects.create(name="Bench", city="Алматы", region="almaty_city")
user = User.objects.create_user("bench-coordinator")
Membership.objects.create(user=user, centre=centre, role="coordinator")
_t, token = ApiToken.issue(user)
course = Course.objects.create(title="Bench course", category="other")
today = timezone.localdate()
run = Run.objects.create(course=course, centre=centre, starts_on=today + dt.timedelta(days=30),
                         ends_on=today + dt.timedelta(days=60), paid_seats=10, free_seats=10,
                         price="10000.00")
women = []
for i in range(WOMEN):
    eligible = i % 2 == 1
    p = people.create_participant(centre=centre, data={"given_name": "Айгүл", "family_name": f"Бенч{i:04d}",
        "phone": f"+7705{i:07d}"}, circumstances=["stay_at_home"] if eligible else [],
        eligibility_verified=eligible)
    women.append([p.pk, "free" if eligible else "paid"])
print(json.dumps({"token": token, "run": run.pk, "women": women}))
"""

VERIFY = """
import django, json
django.setup()
from mamapro.programs.models import Enrollment
from mamapro.programs.services.enrollment import waitlist_positions
run = RUN
out = {}
for seat in ("paid", "free"):
    rows = Enrollment.objects.filter(run_id=run, seat_type=seat)
    out[seat] = {
        "confirmed": rows.filter(status="confirmed").count(),
        "offered": rows.filter(status="offered").count(),
        "waitlisted": rows.filter(status="waitlisted").count(),
    }
pos = waitlist_positions([run])
by_type = {"paid": [], "free": []}
for e in Enrollment.objects.filter(run_id=run, status="waitlisted"):
    by_type[e.seat_type].append(pos[e.pk])
out["positions_contiguous"] = all(sorted(v) == list(range(1, len(v) + 1)) for v in by_type.values())
from mamapro.core.audit import verify_chain
out["audit_chain_ok"] = verify_chain().ok
print(json.dumps(out))
"""


def _serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "mamapro.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=REPO,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz", headers=BEHIND_TLS)
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("gunicorn did not come up")


def _fire(
    port: int, jobs: list[tuple[str, str, bytes | None]], token: str, clients: int
) -> tuple[Phase, list[tuple[int, dict]]]:
    """Send `jobs` (method, path, body) from `clients` threads with keep-alive connections."""
    lock = threading.Lock()
    cursor = iter(range(len(jobs)))
    latencies: list[float] = []
    replies: list[tuple[int, dict]] = [(0, {})] * len(jobs)
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        **BEHIND_TLS,
    }

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            method, path, body = jobs[index]
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                payload = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                status, payload = 599, b"{}"
            elapsed = time.perf_counter() - started
            try:
                data = json.loads(payload or b"{}")
            except ValueError:
                data = {}
            with lock:
                latencies.append(elapsed)
                replies[index] = (status, data)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    statuses: dict[str, int] = {}
    for status, _data in replies:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    ordered = sorted(latencies)
    phase = Phase(
        requests=len(jobs),
        seconds=round(seconds, 3),
        throughput=round(len(jobs) / seconds, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 1),
        p95_ms=round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 1),
        statuses=statuses,
    )
    return phase, replies


def bench(db: str, women: int, clients: int, workers: int) -> dict:
    var_dir = Path(tempfile.mkdtemp(prefix=f"mamapro-bench-{db}-"))
    if db == "postgres":
        _fresh_postgres()
    env = _env(db, var_dir)
    seed = json.loads(_python(env, SEED.replace("WOMEN", str(women))))
    port = _free_port()
    server = _serve(env, port, workers)
    try:
        run = seed["run"]
        get_jobs = [("GET", "/api/v1/centres", None)] * women
        _fire(port, get_jobs[:50], seed["token"], clients)  # warm the workers up
        get_phase, _ = _fire(port, get_jobs, seed["token"], clients)
        jobs = [
            (
                "POST",
                "/api/v1/enrollments",
                json.dumps({"participant": pk, "run": run, "seat_type": seat}).encode(),
            )
            for pk, seat in seed["women"]
        ]
        enroll_phase, replies = _fire(port, jobs, seed["token"], clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    answered = {"confirmed": 0, "waitlisted": 0, "other": 0}
    for status, data in replies:
        if status == 201 and data.get("status") in ("confirmed", "waitlisted"):
            answered[data["status"]] += 1
        else:
            answered["other"] += 1
    check = json.loads(_python(env, VERIFY.replace("RUN", str(run))))
    server_errors = sum(n for s, n in enroll_phase.statuses.items() if s.startswith("5"))
    server_errors += sum(n for s, n in get_phase.statuses.items() if s.startswith("5"))
    ok = (
        check["paid"]["confirmed"] == 10
        and check["free"]["confirmed"] == 10
        and check["paid"]["offered"] == check["free"]["offered"] == 0
        and check["positions_contiguous"]
        and check["audit_chain_ok"]
        and server_errors == 0
        and answered["other"] == 0
    )
    ratio = round(enroll_phase.throughput / get_phase.throughput, 3)
    return {
        "db": db,
        "women": women,
        "clients": clients,
        "gunicorn_workers": workers,
        "enroll": asdict(enroll_phase),
        "trivial_get": asdict(get_phase),
        "ratio_enroll_to_get": ratio,
        "answers": answered,
        "database_check": check,
        "server_errors": server_errors,
        "ok": ok,
        "target_met": ok and ratio >= 0.5,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--women", type=int, default=600, help="enrollment requests (≥ 500)")
    parser.add_argument("--clients", type=int, default=60, help="concurrent clients (≥ 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    failed = False
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        result = bench(db, args.women, args.clients, args.workers)
        path = RESULTS / f"enroll-{db}-{stamp}.json"
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
        e, g = result["enroll"], result["trivial_get"]
        line = (
            f"{stamp} {db:8} enroll {e['throughput']:7.1f} req/s p50 {e['p50_ms']:6.1f} ms "
            f"p95 {e['p95_ms']:6.1f} ms | GET {g['throughput']:7.1f} req/s | ratio "
            f"{result['ratio_enroll_to_get']:.2f} | confirmed {result['database_check']['paid']['confirmed']}"
            f"+{result['database_check']['free']['confirmed']} | 5xx {result['server_errors']} | "
            f"{'OK' if result['ok'] else 'FAILED'}{'' if result['target_met'] else ' (target missed)'}"
        )
        print(line)
        with (RESULTS / "README").open("a") as fh:
            fh.write(line + "\n")
        failed |= not result["ok"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
