"""Messages under load: 10,000 reminders queued and sent by one worker, then a kill -9.

For each database (SQLite, PostgreSQL or both) on a fresh database:

1. **Seed** (not timed): centres (one in Asia/Aqtobe), runs with twice-weekly sessions from
   tomorrow, 20 confirmed women per run (consent to data processing, SMS marked safe, her
   language kk/ru/en, a few survivors who get the discreet text, a few who asked for flash
   SMS) — bulk-created, as setup is not what is measured.
2. **Enqueue**: the reminders of each run's first session through `outbox.queue_many`, one
   transaction per session, as the scheduler does (timed: reminders queued per second).
3. **Send**: one real worker (`.venv/bin/mamapro worker`, a subprocess) against the local
   Mobizon server (`notify/fakes/mobizon.py`, the same fake the tests use, here in this
   process): messages per second (first send to last), the wall time from the worker's start,
   p95 from due (`send_after`) to sent (`sent_at`), duplicates (a delivery the fake accepted
   more than once) and lost (a delivery neither sent nor explicitly failed, or marked sent
   with an id the fake never gave).
4. **The ceiling, in the same run**: the same HTTP calls (the production adapter's `send`,
   its request shape and keep-alive connection; the same recipients and texts the fake
   received in step 3) in a bare loop against a fresh fake server, no database: the ratio
   worker / bare loop is printed (target ≥ 0.5).
5. **Crash**: the reminders of each run's second session are queued, a worker is started,
   `kill -9`-ed after about `--kill-after` messages reached the fake, restarted, and left to
   finish: duplicates and lost must be 0 (for SMS an in-doubt message is looked up with
   Mobizon's message list, never resent blindly).

    .venv/bin/python bench/messages_bench.py --db both --repeat 2

Results go to bench/results/messages-<timestamp>.json and .md. A benchmark, not a test: it
never runs in `./mamapro test`. `--profile` adds a cProfile of `sender.send_due` over a
smaller batch (in one process, with the SQL queries counted) to say where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import enroll_bench  # its environment and PostgreSQL setup are the house pattern

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
RESULTS = REPO / "bench" / "results"
MAMAPRO = REPO / ".venv" / "bin" / "mamapro"
WOMEN_PER_RUN = 20
SMS_API_KEY = "bench-api-key"
SMS_SENDER = "MamaPro"

# The worker is measured against the bare loop, so no provider rate limit applies to either
# (`SMS_RATE_PER_SECOND` is the account's limit; the bench's fake account has none). The
# settings module below is the project's plus these, written into the bench's var dir.
BENCH_SETTINGS = """
from mamapro.settings import *  # noqa: F403

SMS_RATE_PER_SECOND = 1_000_000.0
# In doubt after 15 s, not 120: the crash run's fallback tick need not wait two minutes.
NOTIFY_LEASE_SECONDS = 15
"""


# --- Parent side: processes, the fake server, timing ------------------------------------------


def _env(db: str, var_dir: Path, sms_url: str) -> dict[str, str]:
    """The enrollment bench's environment (fresh keys, HTTPS, the database) plus the SMS
    channel pointed at the local Mobizon server and the bench's settings module."""
    (var_dir / "mamapro_bench_settings.py").write_text(BENCH_SETTINGS)
    env = enroll_bench._env(db, var_dir)
    env.update(
        DJANGO_SETTINGS_MODULE="mamapro_bench_settings",
        PYTHONPATH=os.pathsep.join([str(var_dir), str(SRC)]),
        SITE_URL="https://mamapro.example",
        SMS_PROVIDER="mobizon",
        SMS_API_URL=sms_url,
        SMS_API_KEY=SMS_API_KEY,
        SMS_SENDER=SMS_SENDER,
        # A discreet SMS never shows a sender or a link naming the centre: without these
        # the survivors' reminders wait as a configuration error (as they should).
        DISCREET_SMS_SENDER="INFO",
        DISCREET_SITE_URL="https://example.kz",
        SMS_WEBHOOK_SECRET=secrets.token_urlsafe(24),
    )
    return env


def _child(env: dict[str, str], step: str, args: dict[str, Any], timeout: float = 1800) -> Any:
    """Run one step of this file in a fresh process with Django set up; its JSON answer."""
    out = subprocess.run(
        [sys.executable, __file__, "_child", step],
        input=json.dumps(args),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if out.returncode != 0:
        raise SystemExit(f"step {step} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


class Fake:
    """The sms helper's fake Mobizon server (notify/fakes/mobizon.py), run in this process:
    the worker and the bare loop are other processes, so its threads compete with neither
    for the interpreter (they do for the two cores, as a real provider would not)."""

    def __init__(self) -> None:
        from mamapro.notify.fakes.mobizon import FakeMobizon

        self.server = FakeMobizon(api_key=SMS_API_KEY, sender=SMS_SENDER)

    def __enter__(self) -> Fake:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def url(self) -> str:
        return str(self.server.url)

    def count(self) -> int:
        return len(self.server.messages)

    def accepted(self) -> list[dict[str, Any]]:
        """What the fake accepted (recipient, text, its message id), in order."""
        return [
            {"recipient": m.to, "text": m.text, "id": str(m.id), "flash": m.flash}
            for m in self.server.messages
        ]


def _worker(env: dict[str, str], log: Path, *, only: bool = True) -> subprocess.Popen[bytes]:
    # The bench's one worker, as the demo runs it: at its start a delivery still `sending`
    # is in doubt at once (no other worker can be holding it). `only=False`: a worker that
    # may have company, so what is in doubt waits for the lease and the tick.
    command = [str(MAMAPRO), "worker", *(["--only-worker"] if only else [])]
    with log.open("ab") as fh:
        return subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 reaches all of it
        )


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def _wait_for(
    fake: Fake,
    env: dict[str, str],
    target: int,
    phase: str,
    stall_seconds: float,
    proc: subprocess.Popen[bytes] | None = None,
) -> dict[str, Any]:
    """Until the outbox has nothing left to do for `phase` (no row queued, waiting or
    sending), the worker exits, or the fake has seen nothing new for `stall_seconds`; then
    the database's view of the phase."""
    last, last_change, last_check = -1, time.monotonic(), 0.0
    while True:
        time.sleep(0.25)
        seen, now = fake.count(), time.monotonic()
        if seen != last:
            last, last_change = seen, now
        exited = proc is not None and proc.poll() is not None
        quiet = now - last_change
        # The database is asked when the fake has all it should, or has been quiet a while.
        if seen >= target or exited or (quiet > 3 and now - last_check > 3):
            last_check = now
            state: dict[str, Any] = _child(env, "state", {"phase": phase})
            if state["open"] == 0:
                return state
            if exited:
                state["worker_exited"] = proc.returncode if proc else None
                return state
            if quiet > stall_seconds:
                state["stalled_seconds"] = round(quiet, 1)
                return state


def _duplicates(accepted: list[dict[str, Any]]) -> int:
    """Each woman gets one reminder per phase: a recipient seen twice is a duplicate."""
    return sum(n - 1 for n in Counter(m["recipient"] for m in accepted).values() if n > 1)


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * p + 0.5) - 1)]


def _send_phase(env: dict[str, str], var_dir: Path, phase: str, expected: int) -> dict[str, Any]:
    with Fake() as fake:
        env = {**env, "SMS_API_URL": fake.url}
        started = time.perf_counter()
        proc = _worker(env, var_dir / f"worker-{phase}.log")
        try:
            state = _wait_for(fake, env, expected, phase, stall_seconds=60, proc=proc)
        finally:
            wall = time.perf_counter() - started
            _stop(proc)
        accepted = fake.accepted()
    check = _child(env, "verify", {"phase": phase, "accepted": accepted})
    return {
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "wall_seconds_from_worker_start": round(wall, 3),
        "state": state,
        **check,
        "_accepted": accepted,
    }


def _ceiling(env: dict[str, str], accepted: list[dict[str, Any]]) -> dict[str, Any]:
    with Fake() as fake:
        env = {**env, "SMS_API_URL": fake.url}
        result = _child(env, "ceiling", {"messages": accepted})
        accepted_now = fake.accepted()[: len(accepted)]
        result["fake_accepted"] = len(accepted_now)
        result["fake_duplicates"] = _duplicates(accepted_now)
        result["loadavg"] = [round(x, 2) for x in os.getloadavg()]
    return dict(result)


def _crash_phase(
    env: dict[str, str], var_dir: Path, expected: int, kill_after: int, restart: str
) -> dict:
    phase = "crash"
    log = var_dir / "worker-crash.log"
    with Fake() as fake:
        env = {**env, "SMS_API_URL": fake.url}
        proc = _worker(env, log)
        killed_at_seen = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and proc.poll() is None:
            if fake.count() >= kill_after:
                os.killpg(proc.pid, signal.SIGKILL)  # kill -9, mid-batch
                killed_at_seen = fake.count()
                break
            time.sleep(0.05)
        proc.wait(timeout=30)
        after_kill = _child(env, "state", {"phase": phase})
        seen_at_restart = fake.count()
        restarted = time.perf_counter()
        proc = _worker(env, log, only=restart == "only-worker")
        try:
            # Quiet for longer than the bench's lease (15 s): what is still open is in doubt.
            state = _wait_for(fake, env, expected, phase, stall_seconds=30, proc=proc)
            if state["open"]:
                # What the tick (every minute in production) does for them.
                ticked = subprocess.run(
                    [str(MAMAPRO), "tick"], env=env, cwd=REPO, capture_output=True, check=False
                )
                state = _wait_for(fake, env, expected, phase, stall_seconds=60, proc=proc)
                state["tick_rc"] = ticked.returncode
        finally:
            finish = time.perf_counter() - restarted
            _stop(proc)
        accepted = fake.accepted()
    check = _child(env, "verify", {"phase": phase, "accepted": accepted})
    recorded_at_kill = sum(
        n for status, n in after_kill["by_status"].items() if status in ("sent", "delivered")
    )
    return {
        "restarted_as": restart,
        "kill_after": kill_after,
        "fake_had_seen_at_kill": killed_at_seen,
        "fake_had_seen_at_restart": seen_at_restart,
        # Accepted by the provider before the kill but not yet recorded: the messages the
        # crash left in doubt that only the lookup (find_sent) can settle without a resend.
        "accepted_not_recorded_at_kill": seen_at_restart - recorded_at_kill,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "database_after_kill": after_kill,
        "seconds_from_restart_to_done": round(finish, 3),
        "state": state,
        **check,
    }


def _code() -> dict[str, Any]:
    """Which code was measured: the commit, and any uncommitted change under notify/ (the
    worker was being changed by others while the bench ran)."""

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    return {
        "head": git("rev-parse", "--short", "HEAD"),
        "uncommitted_under_notify": git("status", "--short", "src/mamapro/notify").splitlines(),
    }


def _machine() -> dict[str, Any]:
    facts: dict[str, Any] = {
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["cpu"] = line.split(":", 1)[1].strip()
                break
    return facts


def bench(
    db: str, messages: int, kill_after: int, profile: int, restart: str = "only-worker"
) -> dict[str, Any]:
    var_dir = Path(tempfile.mkdtemp(prefix=f"mamapro-bench-messages-{db}-"))
    if db == "postgres":
        enroll_bench._fresh_postgres()
    env = _env(db, var_dir, "http://127.0.0.1:9")  # each phase points it at its own fake
    runs = -(-messages // WOMEN_PER_RUN)
    seed = _child(env, "seed", {"runs": runs})
    result: dict[str, Any] = {"db": db, "messages": runs * WOMEN_PER_RUN, "seed": seed}
    result["database_version"] = seed.pop("database_version")
    expected = runs * WOMEN_PER_RUN
    result["enqueue"] = _child(env, "enqueue", {"phase": "main", "session_index": 0})
    send = _send_phase(env, var_dir, "main", expected)
    accepted = send.pop("_accepted")
    result["send"] = send
    result["ceiling"] = _ceiling(env, accepted)
    worker_rate = send["rate_first_to_last_send"]
    bare_rate = result["ceiling"]["rate"]
    result["ratio_worker_to_bare_loop"] = round(worker_rate / bare_rate, 3) if bare_rate else None
    result["crash_enqueue"] = _child(env, "enqueue", {"phase": "crash", "session_index": 1})
    result["crash"] = _crash_phase(env, var_dir, expected, kill_after, restart)
    if profile:
        result["profile"] = _profile(env, profile)
    ok = (
        send["duplicates"] == 0
        and send["lost"] == 0
        and send["sent"] == expected
        and result["crash"]["duplicates"] == 0
        and result["crash"]["lost"] == 0
        and result["crash"]["fake_had_seen_at_kill"] is not None
    )
    result["ok"] = ok
    result["target_met"] = bool(ok and (result["ratio_worker_to_bare_loop"] or 0) >= 0.5)
    result["var_dir"] = str(var_dir)
    return result


def _profile(env: dict[str, str], count: int) -> dict[str, Any]:
    """`sender.send_due` over `count` fresh reminders in one process, first with timers
    around its parts, then (another `count`) under cProfile."""
    out: dict[str, Any] = {}
    for index, mode in ((2, "timers"), (3, "cprofile")):
        phase = f"profile-{mode}"
        with Fake() as fake:
            env = {**env, "SMS_API_URL": fake.url}
            queued = _child(
                env, "enqueue", {"phase": phase, "session_index": index, "limit": count}
            )
            result = _child(env, "profile", {"phase": phase, "mode": mode})
            result["enqueue_rate"] = queued["rate"]
            result["fake_accepted"] = fake.count()
        out[mode] = result
    return out


# --- Child side: Django steps (run as `messages_bench.py _child STEP JSON`) ------------------


def _setup() -> None:
    import django

    django.setup()


def step_seed(args: dict[str, Any]) -> dict[str, Any]:
    """Centres, runs with sessions, 20 confirmed women a run who may be sent SMS."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from mamapro.centres.models import Centre, Room
    from mamapro.people.models import Circumstance, Consent, Participant
    from mamapro.programs.models import Course, Enrollment, Run, Session

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    runs_wanted = int(args["runs"])
    zones = ["Asia/Almaty", "Asia/Almaty", "Asia/Almaty", "Asia/Aqtobe"]
    with transaction.atomic():
        centres = [
            Centre.objects.create(
                name=f"Bench centre {i}", city="Алматы", region="almaty_city", timezone=zone
            )
            for i, zone in enumerate(zones)
        ]
        rooms = {
            c.pk: Room.objects.create(centre=c, name="Класс 1", kind="classroom", capacity=24)
            for c in centres
        }
        course = Course.objects.create(title="Кәсіпкерлік негіздері", category="entrepreneurship")
        now = timezone.now()
        today = timezone.localdate()
        runs = Run.objects.bulk_create(
            Run(
                course=course,
                centre=centres[i % len(centres)],
                title=f"Кәсіпкерлік {i + 1}",
                starts_on=today + dt.timedelta(days=1),
                ends_on=today + dt.timedelta(days=29),
                paid_seats=10,
                free_seats=10,
                price="10000.00",
            )
            for i in range(runs_wanted)
        )
        sessions = []
        for run in runs:
            tomorrow = now.replace(hour=5, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
            for k in range(8):  # twice a week for four weeks
                start = tomorrow + dt.timedelta(days=(k // 2) * 7 + (k % 2) * 3, hours=k % 3)
                sessions.append(
                    Session(
                        run=run,
                        centre_id=run.centre_id,
                        starts_at=start,
                        ends_at=start + dt.timedelta(hours=2),
                        room=rooms[run.centre_id],
                    )
                )
        Session.objects.bulk_create(sessions)
        women = []
        languages = ["kk"] * 9 + ["ru"] * 9 + ["en"] * 2
        names = ["Айгүл", "Гүлнар", "Динара", "Мария", "Әсем", "Жанар", "Светлана", "Ләззат"]
        for i in range(runs_wanted * WOMEN_PER_RUN):
            run = runs[i // WOMEN_PER_RUN]
            women.append(
                Participant(
                    centre_id=run.centre_id,
                    given_name=names[i % len(names)],
                    family_name=f"Бенчева{i:05d}",
                    search_key=f" бенчева{i:05d}",
                    roster_key=f" бенчева{i:05d}",
                    phone=f"+7701{i:07d}",
                    language=languages[i % len(languages)],
                    status="resident",
                    contact_channels=["sms"],
                    discreet=i % 40 == 7,
                    flash_sms=i % 50 == 11,
                )
            )
        Participant.objects.bulk_create(women, batch_size=1000)
        Consent.objects.bulk_create(
            (
                Consent(participant=p, centre_id=p.centre_id, kind="data_processing", version="1")
                for p in women
            ),
            batch_size=1000,
        )
        # One woman in twenty is a survivor: she gets the discreet text.
        Circumstance.objects.bulk_create(
            (
                Circumstance(participant=p, centre_id=p.centre_id, kind="domestic_violence")
                for i, p in enumerate(women)
                if i % 20 == 3
            ),
            batch_size=1000,
        )
        Enrollment.objects.bulk_create(
            (
                Enrollment(
                    run=runs[i // WOMEN_PER_RUN],
                    centre_id=p.centre_id,
                    participant=p,
                    seat_type="paid" if i % 2 else "free",
                    status="confirmed",
                    confirmed_at=now,
                )
                for i, p in enumerate(women)
            ),
            batch_size=1000,
        )
    return {
        "centres": len(centres),
        "runs": len(runs),
        "sessions": len(sessions),
        "women": len(women),
        "survivors": sum(1 for i in range(len(women)) if i % 20 == 3),
        "discreet_asked": sum(1 for p in women if p.discreet),
        "flash_sms": sum(1 for p in women if p.flash_sms),
        "seconds": round(time.perf_counter() - t0, 2),
        "database_version": f"{connection.vendor} {_db_version()}",
    }


def _db_version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        return str(cur.fetchone()[0])


def _phase_sessions(session_index: int) -> list[Any]:
    """The `session_index`-th session of every run, with its run and centre."""
    from mamapro.programs.models import Session

    chosen = []
    current_run, k = None, 0
    for session in Session.objects.select_related("run", "centre").order_by("run_id", "starts_at"):
        if session.run_id != current_run:
            current_run, k = session.run_id, 0
        if k == session_index:
            chosen.append(session)
        k += 1
    return chosen


def step_enqueue(args: dict[str, Any]) -> dict[str, Any]:
    """The reminders of one session per run, through the real enqueue path, a transaction
    per session (the scheduler's unit)."""
    from django.db import transaction
    from django.utils import timezone

    from mamapro.notify import outbox
    from mamapro.people.models import Participant

    sessions = _phase_sessions(int(args["session_index"]))
    limit = args.get("limit")
    women: dict[int, list[Participant]] = {}
    for p in _women_by_run([s.run_id for s in sessions]):
        women.setdefault(p.bench_run_id, []).append(p)
    queries: list[int] = []
    made = 0
    statuses: Counter[str] = Counter()
    t0 = time.perf_counter()
    for session in sessions:
        batch = women.get(session.run_id, [])
        if limit is not None:
            batch = batch[: max(0, int(limit) - made)]
            if not batch:
                break
        # As `notify/schedule.py` does: one call per (session, children booked) group; one
        # woman in four has a child booked in the kids' room for the session.
        groups = {0: [p for p in batch if p.pk % 4], 1: [p for p in batch if not p.pk % 4]}
        with _counting() as counter, transaction.atomic():
            for children, group in groups.items():
                rows = outbox.queue_many(
                    group,
                    "reminder",
                    key=f"reminder:{session.pk}",
                    subject=session,
                    context={
                        "valid_until": session.starts_at.isoformat(),
                        "kids_room": children,
                        "bench_phase": args["phase"],
                    },
                    now=timezone.now(),
                )
                made += len(rows)
                statuses.update(r.status for r in rows)
        queries.append(counter.count)
    seconds = time.perf_counter() - t0
    return {
        "phase": args["phase"],
        "sessions": len(queries),
        "queued": made,
        "statuses": dict(statuses),
        "seconds": round(seconds, 3),
        "rate": round(made / seconds, 1) if seconds else None,
        # Per session: two queue_many calls (with and without a child booked), 20 women.
        "queries_per_session": {"min": min(queries, default=0), "max": max(queries, default=0)},
    }


def _women_by_run(run_ids: list[int]) -> list[Any]:
    from mamapro.people.models import Participant
    from mamapro.programs.models import Enrollment

    by_participant = dict(
        Enrollment.objects.filter(run_id__in=run_ids, status="confirmed").values_list(
            "participant_id", "run_id"
        )
    )
    women = list(Participant.objects.filter(pk__in=list(by_participant)).select_related("centre"))
    for p in women:
        p.bench_run_id = by_participant[p.pk]  # type: ignore[attr-defined]
    return women


class _Counter:
    count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


@contextlib.contextmanager
def _counting() -> Any:
    from django.db import connection

    counter = _Counter()
    with connection.execute_wrapper(counter):
        yield counter


def _phase_deliveries(phase: str) -> Any:
    from mamapro.notify.models import Delivery

    return Delivery.objects.filter(context__bench_phase=phase)


FINAL = ("sent", "delivered", "failed", "cancelled")


def step_state(args: dict[str, Any]) -> dict[str, Any]:
    from django.db.models import Count

    rows = _phase_deliveries(args["phase"])
    by_status = dict(rows.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
    return {
        "by_status": by_status,
        "open": sum(n for s, n in by_status.items() if s not in FINAL),
    }


def step_verify(args: dict[str, Any]) -> dict[str, Any]:
    """Duplicates, lost and latency, from the database and what the fake accepted."""
    from django.db.models import Count

    rows = _phase_deliveries(args["phase"])
    accepted = args["accepted"]
    fake_ids = {m["id"] for m in accepted}
    per_recipient = Counter(m["recipient"] for m in accepted)
    duplicates = sum(n - 1 for n in per_recipient.values() if n > 1)
    data = list(
        rows.values_list(
            "id", "status", "reason", "send_after", "sent_at", "provider_message_id", "discreet"
        )
    )
    sent = [r for r in data if r[1] in ("sent", "delivered")]
    failed = [r for r in data if r[1] == "failed"]
    # Lost: neither sent nor explicitly failed (still open, or cancelled without a reason),
    # or recorded as sent with an id the provider never gave.
    lost_open = [r for r in data if r[1] not in FINAL or (r[1] == "cancelled" and not r[2])]
    # Of those, rows the outbox holds on purpose with a reason (a configuration error, her
    # safe hours): not sent, but not lost either — counted apart so the figure says which.
    held = Counter(r[2] for r in lost_open if r[1] in ("queued", "waiting") and r[2])
    lost_unknown_id = [r for r in sent if r[5] not in fake_ids]
    recorded_ids = {r[5] for r in sent}
    # Accepted by the provider but not recorded against any delivery (sent, but staff would
    # believe it was not).
    unrecorded = [m for m in accepted if m["id"] not in recorded_ids]
    latencies = [(r[4] - r[3]).total_seconds() for r in sent if r[4] and r[3]]
    sent_times = sorted(r[4] for r in sent if r[4])
    span = (sent_times[-1] - sent_times[0]).total_seconds() if len(sent_times) > 1 else 0.0
    first_due = min((r[3] for r in data), default=None)
    drain = [(r[4] - max(r[3], sent_times[0])).total_seconds() for r in sent] if sent_times else []
    reasons = dict(
        rows.exclude(reason="")
        .values_list("reason")
        .annotate(n=Count("id"))
        .values_list("reason", "n")
    )
    discreet_texts = [m["text"] for m in accepted if _is_discreet_recipient(m, data)]
    from mamapro.people.safe_contact import is_discreet

    return {
        "deliveries": len(data),
        "by_status": dict(Counter(r[1] for r in data)),
        "reasons": reasons,
        "sent": len(sent),
        "failed": len(failed),
        "fake_accepted": len(accepted),
        "duplicates": duplicates,
        "lost": len(lost_open) + len(lost_unknown_id),
        "lost_detail": {
            "open": len(lost_open),
            "of_which_held_with_a_reason": dict(held),
            "sent_with_unknown_id": len(lost_unknown_id),
        },
        "accepted_but_unrecorded": len(unrecorded),
        "rate_first_to_last_send": round((len(sent) - 1) / span, 1) if span else 0.0,
        "first_to_last_send_seconds": round(span, 3),
        "due_to_sent_p50_s": round(_percentile(latencies, 0.50), 3),
        "due_to_sent_p95_s": round(_percentile(latencies, 0.95), 3),
        "due_to_sent_max_s": round(max(latencies, default=0.0), 3),
        # From max(due, the first send): the drain alone, without the enqueue and start-up.
        "drain_p95_s": round(_percentile(drain, 0.95), 3),
        "first_due": first_due.isoformat() if first_due else None,
        "discreet_sent": sum(1 for r in sent if r[6]),
        "discreet_texts_not_discreet": sum(1 for t in discreet_texts if not is_discreet(t)),
    }


def _is_discreet_recipient(message: dict[str, Any], data: list[Any]) -> bool:
    ids = {r[5] for r in data if r[6]}
    return message["id"] in ids


def step_ceiling(args: dict[str, Any]) -> dict[str, Any]:
    """The same HTTP calls as the worker made, by the production adapter, in a bare loop."""
    from mamapro.notify.channels import adapter
    from mamapro.notify.channels.base import Outgoing

    sms = adapter("sms")
    outgoing = [
        Outgoing(
            delivery_id=i,
            idempotency_key=f"bare:{i}",
            to="+" + m["recipient"].lstrip("+"),
            text=m["text"],
            language="kk",
            flash=bool(m["flash"]),
        )
        for i, m in enumerate(args["messages"])
    ]
    t0 = time.perf_counter()
    for message in outgoing:
        sms.send(message)
    seconds = time.perf_counter() - t0
    # The same call with 3 ms of CPU work between calls (about what the worker does per
    # message besides HTTP): on a loaded machine the wake-up after each answer costs more
    # when the process is busy in between. Numbers in brackets, not the ceiling.
    http = 0.0
    sample = [replace(m, to=m.to[:-1] + "0") for m in outgoing[:500]]
    for message in sample:
        started = time.perf_counter()
        sms.send(message)
        http += time.perf_counter() - started
        spin = time.perf_counter() + 0.003
        while time.perf_counter() < spin:
            pass
    return {
        "calls": len(outgoing),
        "seconds": round(seconds, 3),
        "rate": round(len(outgoing) / seconds, 1) if seconds else 0.0,
        "http_ms_per_call": round(seconds * 1000 / len(outgoing), 3) if outgoing else 0.0,
        "http_ms_per_call_with_3ms_work_between": round(http * 1000 / len(sample), 3)
        if sample
        else 0.0,
    }


# Where the worker's time goes: wall time inside these (wrapped in the profiling process
# only; the worker's code is not changed). Nested entries are included in their parent.
TIMED = [
    ("mamapro.notify.sender", "claim"),
    ("mamapro.notify.sender", "_prepare"),
    ("mamapro.notify.outbox", "GateFacts.load"),
    ("mamapro.notify.addresses", "Book.load"),
    ("mamapro.notify.sender", "no_longer_needed"),
    ("mamapro.notify.templates", "Renderer.prefetch"),
    ("mamapro.notify.templates", "Renderer.render"),
    ("mamapro.notify.sender", "_write_before_sending"),
    ("mamapro.notify.sender", "_send_one"),
    ("mamapro.notify.channels.mobizon", "MobizonSMS.send"),
    ("mamapro.notify.sender", "record_sent"),
    ("mamapro.notify.sender", "finish"),
    ("mamapro.notify.sender", "_finish"),
]


def _wrap_timers() -> dict[str, list[float]]:
    import functools
    import importlib

    spent: dict[str, list[float]] = {}
    for module_name, dotted in TIMED:
        owner: Any = importlib.import_module(module_name)
        *path, name = dotted.split(".")
        for part in path:
            owner = getattr(owner, part, None)
        raw = owner.__dict__.get(name) if owner is not None else None
        if raw is None:
            continue
        label = f"{module_name.rsplit('.', 1)[-1]}.{dotted}"
        spent[label] = [0.0, 0]
        unwrapped = raw.__func__ if isinstance(raw, classmethod) else raw

        def timed(*a: Any, _f: Any = unwrapped, _label: str = label, **kw: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return _f(*a, **kw)
            finally:
                spent[_label][0] += time.perf_counter() - t0
                spent[_label][1] += 1

        functools.update_wrapper(timed, unwrapped)
        setattr(owner, name, classmethod(timed) if isinstance(raw, classmethod) else timed)
    return spent


def step_profile(args: dict[str, Any]) -> dict[str, Any]:
    """`sender.send_due` in this process: with timers around its parts (`mode` "timers"),
    or under cProfile (`mode` "cprofile", slower, for the top of the call tree)."""
    import cProfile
    import io
    import pstats

    from mamapro.notify import sender

    rows = _phase_deliveries(args["phase"]).filter(status="queued").count()
    profiler = cProfile.Profile() if args["mode"] == "cprofile" else None
    spent = _wrap_timers() if profiler is None else {}
    with _counting() as counter:
        t0 = time.perf_counter()
        if profiler:
            profiler.enable()
        sent = sender.send_due()
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - t0
    result: dict[str, Any] = {
        "mode": args["mode"],
        "rows": rows,
        "sent": sent,
        "seconds": round(seconds, 3),
        "rate": round(rows / seconds, 1) if seconds else 0.0,
        "queries": counter.count,
        "queries_per_message": round(counter.count / rows, 2) if rows else None,
    }
    if profiler:
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(45)
        result["top_cumulative"] = stream.getvalue().splitlines()
    else:
        result["ms_per_message"] = {
            label: round(total * 1000 / rows, 3) for label, (total, _n) in spent.items() if rows
        }
        result["share_of_send_due"] = {
            label: round(total / seconds, 3) for label, (total, _n) in spent.items() if seconds
        }
        result["calls"] = {label: n for label, (_t, n) in spent.items()}
    return result


STEPS = {
    "seed": step_seed,
    "enqueue": step_enqueue,
    "state": step_state,
    "verify": step_verify,
    "ceiling": step_ceiling,
    "profile": step_profile,
}


# --- Output -------------------------------------------------------------------------------


def _line(stamp: str, r: dict[str, Any]) -> str:
    s, c, k = r["send"], r["ceiling"], r["crash"]
    return (
        f"{stamp} {r['db']:8} enqueue {r['enqueue']['rate']:7.1f}/s | worker "
        f"{s['rate_first_to_last_send']:7.1f} msg/s (wall {s['wall_seconds_from_worker_start']:.1f} s) "
        f"p95 due→sent {s['due_to_sent_p95_s']:.2f} s | bare loop {c['rate']:7.1f}/s | ratio "
        f"{r['ratio_worker_to_bare_loop']} | dup {s['duplicates']} lost {s['lost']} | kill -9 at "
        f"{k['fake_had_seen_at_kill']}: dup {k['duplicates']} lost {k['lost']} | "
        f"{'OK' if r['ok'] else 'FAILED'}{'' if r['target_met'] else ' (target missed)'}"
    )


def _markdown(
    stamp: str, machine: dict[str, Any], code: dict[str, Any], results: list[dict[str, Any]]
) -> str:
    out = [
        f"# Messages benchmark {stamp}",
        "",
        f"Machine: {machine.get('cpu', '?')}, {machine['cores']} cores, {machine['platform']}, "
        f"Python {machine['python']}; load average at start {machine['loadavg_at_start']}, "
        f"at end {machine.get('loadavg_at_end')} (a machine shared with other work: noisy). "
        f"Code: {code['head']}"
        + (", with uncommitted changes under notify/" if code["uncommitted_under_notify"] else "")
        + ".",
        "",
        "One worker (`mamapro worker`) against the local Mobizon server; the bare loop is the "
        "production adapter's `send` with the same recipients and texts, no database.",
        "",
        "| db | run | reminders | enqueue/s | worker msg/s | wall s | p95 due→sent s | "
        "drain p95 s | bare loop/s | ratio | dup | lost | kill -9 at | crash dup | crash lost | ok |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, c, k = r["send"], r["ceiling"], r["crash"]
        out.append(
            f"| {r['database_version']} | {r['repeat']} | {r['messages']} | {r['enqueue']['rate']} | "
            f"{s['rate_first_to_last_send']} | {s['wall_seconds_from_worker_start']} | "
            f"{s['due_to_sent_p95_s']} | {s['drain_p95_s']} | {c['rate']} | "
            f"{r['ratio_worker_to_bare_loop']} | {s['duplicates']} | {s['lost']} | "
            f"{k['fake_had_seen_at_kill']} | {k['duplicates']} | {k['lost']} | "
            f"{'yes' if r['ok'] else 'NO'} |"
        )
    out.append("")
    for r in results:
        k = r["crash"]
        out.append(
            f"- {r['db']} run {r['repeat']}: after the kill the outbox held "
            f"{k['database_after_kill']['by_status']}; restarted as `{k['restarted_as']}`"
            f"{' then a tick' if 'tick_rc' in k['state'] else ''}, done in "
            f"{k['seconds_from_restart_to_done']} s; final {k['by_status']}; "
            f"accepted but unrecorded {k['accepted_but_unrecorded']}. Bare loop: "
            f"{r['ceiling']['http_ms_per_call']} ms a call "
            f"({r['ceiling']['http_ms_per_call_with_3ms_work_between']} ms with 3 ms of work "
            "between calls)."
        )
        if "profile" in r:
            p = r["profile"]["timers"]
            out.append(
                f"  `send_due` in one process over {p['rows']} reminders: {p['rate']} msg/s, "
                f"{p['queries_per_message']} queries a message; ms a message in each part "
                f"(nested parts are inside their parent): {p['ms_per_message']}."
            )
    return "\n".join(out) + "\n"


def main() -> int:
    if sys.argv[1:2] == ["_child"]:
        _setup()
        print(json.dumps(STEPS[sys.argv[2]](json.loads(sys.stdin.read())), default=str))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--messages", type=int, default=10_000, help="reminders per phase")
    parser.add_argument(
        "--kill-after", type=int, default=None, help="kill -9 after the fake saw N (default 1/3)"
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs per database")
    parser.add_argument(
        "--restart",
        choices=["only-worker", "lease"],
        default="only-worker",
        help="after the kill: `worker --only-worker` (in doubt at once, as the demo) or a plain "
        "`worker` (in doubt after the lease, settled by `tick`)",
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="also profile send_due over N reminders"
    )
    args = parser.parse_args()
    if not MAMAPRO.exists():
        raise SystemExit(f"{MAMAPRO} is missing: run ./mamapro once to create .venv")
    kill_after = args.kill_after or max(1, args.messages // 3)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    machine = _machine()
    code_at_start = _code()
    results = []
    failed = False
    for repeat in range(1, args.repeat + 1):
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            result = bench(db, args.messages, kill_after, args.profile, args.restart)
            result["repeat"] = repeat
            results.append(result)
            print(_line(stamp, result), flush=True)
            failed |= not result["ok"]
    machine["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    payload = {
        "date": stamp,
        "machine": machine,
        "code_at_start": code_at_start,
        "code_at_end": _code(),
        "results": results,
    }
    (RESULTS / f"messages-{stamp}.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"
    )
    (RESULTS / f"messages-{stamp}.md").write_text(_markdown(stamp, machine, code_at_start, results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
