"""grader.files: temporary files carry their writer's pid and host, and `remove_stale_temps` removes those a killed
writer left, never a live writer's, never a file not named like ours, never outside the folder."""

from __future__ import annotations

import os
import time

import pytest

import grader.files as files
from grader.files import atomic_write, remove_stale_temps

from helpers import dead_pid, temp_name

OTHER_HOST = "0" * 8 if files._host() != "0" * 8 else "1" * 8


def touch(path, age: float = 0.0):
    path.write_text("half")
    if age:
        t = time.time() - age
        os.utime(path, (t, t))
    return path


def test_the_temporary_name_carries_the_writers_pid_and_host(tmp_path, monkeypatch):
    seen = []

    def replace(src, dst):
        seen.append(os.path.basename(src))
        raise OSError("stop")

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(OSError):
        atomic_write(tmp_path / "a.json", b"{}")
    [name] = seen
    m = files._TEMP.fullmatch(name)
    assert m and m["name"] == "a.json" and int(m["pid"]) == os.getpid() and m["host"] == files._host()
    assert list(tmp_path.iterdir()) == []  # a failed write removes its own temporary file


def test_a_long_name_keeps_the_temporary_name_under_255_bytes(tmp_path):
    name = "é" * 100 + ".json"  # 205 bytes
    atomic_write(tmp_path / name, b"x")
    assert (tmp_path / name).read_bytes() == b"x" and [p.name for p in tmp_path.iterdir()] == [name]


def test_only_stale_temporary_files_are_removed(tmp_path):
    dead = dead_pid()
    stale = [touch(tmp_path / temp_name("a.json", dead)),  # this host, writer gone
             touch(tmp_path / temp_name("b.md", dead, OTHER_HOST), age=7200),  # another host's, old
             touch(tmp_path / temp_name("c.html", None), age=7200)]  # no pid (an older grader), old
    kept = [touch(tmp_path / temp_name("a.json", os.getpid()), age=7200),  # a live writer's, however old
            touch(tmp_path / temp_name("b.md", dead, OTHER_HOST, "recent01")),  # another host's, recent
            touch(tmp_path / temp_name("c.html", None, rand="recent02")),  # no pid, recent
            touch(tmp_path / ".notes.tmp", age=7200), touch(tmp_path / "x.json", age=7200),
            touch(tmp_path / f".a.json.{dead}.tmp", age=7200),  # not mkstemp's random part
            touch(tmp_path / temp_name("a.json", dead).removesuffix(".tmp"), age=7200)]
    assert len({p.name for p in stale + kept}) == len(stale + kept)
    folder = tmp_path / temp_name("d.json", dead)
    folder.mkdir()
    sub = touch(folder / temp_name("e.json", dead))  # only the folder's own entries, not below
    outside = touch(tmp_path.parent / f"{tmp_path.name}-target.json")
    link = tmp_path / temp_name("f.json", dead)
    link.symlink_to(outside)
    assert sorted(remove_stale_temps(tmp_path)) == sorted(stale)
    assert all(p.exists() for p in kept + [folder, sub, outside, link]) and not any(p.exists() for p in stale)
    outside.unlink()


def test_a_missing_folder_is_nothing_to_sweep(tmp_path):
    assert remove_stale_temps(tmp_path / "none") == []
